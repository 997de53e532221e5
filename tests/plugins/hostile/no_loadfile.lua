-- expect: load fails: undeclared global 'loadfile'
-- 'loadfile' is not in the sandbox.
loadfile('/etc/passwd')
