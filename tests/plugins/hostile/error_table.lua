-- expect: call fails: error object is a table
-- A non-string error is named by its type.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    error({})
  end,
}
