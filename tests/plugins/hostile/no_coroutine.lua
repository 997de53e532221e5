-- expect: load fails: undeclared global 'coroutine'
-- 'coroutine' is not in the sandbox.
local co = coroutine.create(function() end)
