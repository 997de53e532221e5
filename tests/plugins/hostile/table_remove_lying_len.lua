-- expect: call fails: instruction budget
-- table.remove on a table whose __len lies.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    table.remove(setmetatable({}, { __len = function() return 1e15 end }), 1)
  end,
}
