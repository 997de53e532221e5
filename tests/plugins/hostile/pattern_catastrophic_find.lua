-- expect: call fails: instruction budget
-- string.find with a backtracking pattern (seconds to hours in Lua's own matcher) is charged per step.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    local s, p = ('a'):rep(200), ('a-'):rep(6) .. 'b'
    local r = s:find(p)
  end,
}
