-- expect: load fails: instruction budget
-- xpcall's handler once ran with hooks off after the budget error, looping forever.
xpcall(function() while true do end end, function() while true do end end)
