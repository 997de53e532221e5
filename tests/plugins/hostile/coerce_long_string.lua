-- expect: call fails: instruction budget
-- String arithmetic reads the whole string.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    local s = ('1'):rep(1 << 19)
    for i = 1, 1e9 do local _ = s + 0 end
  end,
}
