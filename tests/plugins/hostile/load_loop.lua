-- expect: load fails: instruction budget
-- An endless loop at the top level.
while true do end
