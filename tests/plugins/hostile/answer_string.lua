-- expect: call fails: must return nil or a list
-- validate answers nil or a list.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    return 'fine'
  end,
}
