-- expect: load fails: undeclared global 'print'
-- 'print' is not in the sandbox.
print('hi')
