-- expect: load fails: unknown key 'colour'
-- A typo cannot pass silently.
return sereg.equipment_type { code = 't', name = 'T', version = '1.0.0', registration_class = '梯', attributes = { variety = { type = 'string', required = true, enum = {'3110'} } }, colour = 'red' }
