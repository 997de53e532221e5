-- expect: call fails: exceeded
-- Recursion without end.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    local function f() return 1 + f() end
    return f()
  end,
}
