-- expect: load fails: __gc
-- A finalizer would run outside any call.
setmetatable({}, { __gc = function() while true do end end })
