-- expect: call fails: instruction budget
-- xpcall inside xpcall's handler.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    xpcall(error, function() return xpcall(error, function() while true do end end) end)
  end,
}
