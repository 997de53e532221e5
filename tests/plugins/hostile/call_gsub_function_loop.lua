-- expect: call fails: instruction budget
-- A gsub replacement function that loops.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    return (('a'):rep(10)):gsub('a', function() while true do end end)
  end,
}
