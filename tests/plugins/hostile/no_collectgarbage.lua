-- expect: load fails: undeclared global 'collectgarbage'
-- 'collectgarbage' is not in the sandbox.
collectgarbage('stop')
