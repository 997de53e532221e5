-- expect: call fails: instruction budget
-- table.concat reading through __index.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    local t = setmetatable({}, { __len = function() return 1e15 end, __index = function() return '' end })
    return table.concat(t)
  end,
}
