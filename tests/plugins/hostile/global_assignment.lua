-- expect: load fails: assignment to undeclared global 'x'
-- Globals are strict.
x = 1
