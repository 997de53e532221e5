-- expect: call fails: instruction budget
-- A set of a million characters tried at every position.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    local s, p = ('a'):rep(1000), '[' .. ('b'):rep(1 << 19) .. ']'
    for i = 1, 1e9 do s:find(p) end
  end,
}
