-- expect: load fails: undeclared global 'io'
-- 'io' is not in the sandbox.
io.open('/etc/passwd')
