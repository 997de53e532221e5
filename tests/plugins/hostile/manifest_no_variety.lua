-- expect: load fails: 'variety'
-- Every type declares its varieties.
return sereg.equipment_type { code = 't', name = 'T', version = '1.0.0', registration_class = '梯', attributes = { n = { type = 'integer' } } }
