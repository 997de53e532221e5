-- expect: load fails: undeclared global 'load'
-- 'load' is not in the sandbox.
load('return 1')
