-- expect: call fails: instruction budget
-- An endless loop costs one call.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    while true do end
  end,
}
