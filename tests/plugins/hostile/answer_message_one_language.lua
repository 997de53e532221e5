-- expect: call fails: 'message' must be a string or {zh = string, en = string}
-- A message in both languages gives both: the core picks one by the request's.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    return { { field = "variety", message = { zh = "只有中文" } } }
  end,
}
