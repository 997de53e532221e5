-- expect: call fails: time limit
-- Every element sorted through a chain of 1500 __index tables: slow per step, so the clock stops it.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    local last = {}
    for i = 1, 100000 do last[i] = -i end
    local t = last
    for i = 1, 1500 do t = setmetatable({}, { __index = t }) end
    table.sort(setmetatable(t, { __index = getmetatable(t).__index, __len = function() return 100000 end }))
  end,
}
