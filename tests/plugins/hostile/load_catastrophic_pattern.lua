-- expect: load fails: instruction budget
-- A backtracking pattern at the top level: charged per matching step.
local s = ('a'):rep(200)
local i = s:find(('a-'):rep(6) .. 'b')
