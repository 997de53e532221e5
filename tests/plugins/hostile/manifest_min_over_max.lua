-- expect: load fails: 'min' is greater
-- Bounds must make sense.
return sereg.equipment_type { code = 't', name = 'T', version = '1.0.0', registration_class = '梯', attributes = { variety = { type = 'string', required = true, enum = {'3110'} }, n = { type = 'integer', min = 5, max = 1 } } }
