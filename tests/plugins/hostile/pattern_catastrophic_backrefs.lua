-- expect: call fails: instruction budget
-- Nested captures and back-references.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    local s = ('ab'):rep(100) .. 'c'
    local r = s:find(('(.-)%1'):rep(5) .. 'd')
  end,
}
