-- expect: call fails: too many results
-- table.unpack of more values than the stack takes.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    return table.unpack({}, 1, 1e8)
  end,
}
