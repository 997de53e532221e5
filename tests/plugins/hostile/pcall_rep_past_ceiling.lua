-- expect: call fails: string length limit
-- Catching the refusal does not help.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    local ok = pcall(string.rep, 'x', 1 << 30)
    return {}
  end,
}
