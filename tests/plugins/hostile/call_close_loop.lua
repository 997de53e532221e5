-- expect: call fails: instruction budget
-- A __close handler that loops when its block ends.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    do local x <close> = setmetatable({}, { __close = function() while true do end end }) end
  end,
}
