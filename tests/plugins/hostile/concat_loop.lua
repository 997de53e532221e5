-- expect: call fails: instruction budget
-- Growing a string is charged by the bytes it copies.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    local s = ''
    for i = 1, 1e9 do s = s .. 'x' end
  end,
}
