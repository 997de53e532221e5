-- expect: load fails: must return sereg.equipment_type
-- A file must declare something.
return {}
