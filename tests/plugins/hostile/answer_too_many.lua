-- expect: call fails: more than 100
-- At most 100 errors.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    local e = {}
    for i = 1, 101 do e[i] = { field = 'f', message = 'm' } end
    return e
  end,
}
