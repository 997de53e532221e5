-- expect: call fails: memory limit
-- Memory grows until the cap.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    local t = {}
    for i = 1, 1e9 do t[i] = { i } end
  end,
}
