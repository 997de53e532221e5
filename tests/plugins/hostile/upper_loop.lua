-- expect: call fails: instruction budget
-- string.upper is charged by the bytes it reads.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    local s = ('x'):rep(1 << 20)
    for i = 1, 1e9 do s:upper() end
  end,
}
