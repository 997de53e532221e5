-- expect: load fails: string length limit
-- One string past the ceiling.
local s = string.rep('x', 1 << 30)
