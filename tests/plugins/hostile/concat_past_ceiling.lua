-- expect: call fails: string length limit
-- The VM's .. is refused past the ceiling too.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    local s = ('x'):rep(1 << 20)
    local t = s .. s
  end,
}
