-- expect: call fails: string length limit
-- string.rep is refused before it copies anything.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    local s = ('x'):rep(1e15)
  end,
}
