-- expect: load fails: syntax_error.lua:4:
-- A syntax error names the file and line.
return sereg.equipment_type { code = 't'
