-- expect: load fails: index a boolean
-- getmetatable('') hands out nothing.
local mt = getmetatable('') ; mt.__index.upper = nil
