-- expect: call fails: time limit
-- Each comparison of two long strings is one costly instruction.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    local a = ('x'):rep(1 << 20)
    local b = a:sub(1, -2) .. 'y'
    for i = 1, 1e9 do local _ = a < b end
  end,
}
