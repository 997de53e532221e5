-- expect: load fails: 4-digit
-- Varieties are 品种 codes.
return sereg.equipment_type { code = 't', name = 'T', version = '1.0.0', registration_class = '梯', attributes = { variety = { type = 'string', required = true, enum = {'31x0'} } } }
