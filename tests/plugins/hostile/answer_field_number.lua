-- expect: call fails: 'field' must be a string
-- field is a string.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    return { { field = 1, message = 'm' } }
  end,
}
