-- expect: call fails: instruction budget
-- A table.sort order function that loops.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    table.sort({ 3, 2, 1 }, function() while true do end end)
  end,
}
