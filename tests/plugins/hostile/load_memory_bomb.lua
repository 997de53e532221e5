-- expect: load fails: memory limit
-- Memory grows until the cap.
local t, s = {}, ('x'):rep(1000)
for i = 1, 1e9 do t[i] = s .. i end
