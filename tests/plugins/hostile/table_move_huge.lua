-- expect: call fails: instruction budget
-- table.move over 10^15 empty slots (Lua loops without end).
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    table.move({}, 1, 1e15, 2)
  end,
}
