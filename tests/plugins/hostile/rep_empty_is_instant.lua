-- expect: call ok
-- string.rep of an empty string returns at once (Lua loops n times).
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    if string.rep("", 1e15) ~= "" or string.rep("", 1e15, "") ~= "" then
      return { { field = "attributes.variety", message = "rep" } }
    end
  end,
}
