-- expect: call fails: instruction budget
-- __tostring runs from tostring and string.format.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    local t = setmetatable({}, { __tostring = function() while true do end end })
    return string.format('%s', t)
  end,
}
