-- expect: load fails: undeclared global 'dofile'
-- 'dofile' is not in the sandbox.
dofile('/etc/passwd')
