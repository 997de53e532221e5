-- expect: load fails: 'type' must be one of
-- Attribute types are a fixed list.
return sereg.equipment_type { code = 't', name = 'T', version = '1.0.0', registration_class = '梯', attributes = { variety = { type = 'string', required = true, enum = {'3110'} }, n = { type = 'float' } } }
