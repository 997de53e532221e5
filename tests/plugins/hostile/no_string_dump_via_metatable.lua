-- expect: load fails: nil value
-- Nor reachable through the string metatable's __index.
local f = ("").dump(function() end)
