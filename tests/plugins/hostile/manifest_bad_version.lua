-- expect: load fails: 'version'
-- Versions are MAJOR.MINOR.PATCH.
return sereg.equipment_type { code = 't', name = 'T', version = 'one', registration_class = '梯', attributes = { variety = { type = 'string', required = true, enum = {'3110'} } } }
