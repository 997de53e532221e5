-- expect: load fails: 'validate' must be a function
-- validate is code.
return sereg.equipment_type { code = 't', name = 'T', version = '1.0.0', registration_class = '梯', attributes = { variety = { type = 'string', required = true, enum = {'3110'} } }, validate = 42 }
