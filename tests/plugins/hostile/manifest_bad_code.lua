-- expect: load fails: 'code'
-- Codes are [a-z][a-z0-9_]*.
return sereg.equipment_type { code = 'T!', name = 'T', version = '1.0.0', registration_class = '梯', attributes = { x = { type = 'string' } } }
