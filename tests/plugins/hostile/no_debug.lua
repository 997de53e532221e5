-- expect: load fails: undeclared global 'debug'
-- 'debug' is not in the sandbox.
debug.sethook()
