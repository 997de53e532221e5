-- expect: load fails: nil value
-- string.dump is not in the sandbox's string table.
local f = string.dump(function() end)
