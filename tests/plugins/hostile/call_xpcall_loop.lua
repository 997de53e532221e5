-- expect: call fails: instruction budget
-- The handler runs after the error has unwound, under the budget.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    xpcall(function() while true do end end, function() while true do end end)
  end,
}
