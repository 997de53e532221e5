-- expect: load fails: unknown key 'colour'
-- A typo in a notice format cannot pass silently either.
return sereg.notice_format { name = "h", title = "敌意", version = "1.0.0", colour = 'red', render = function(e) return 'x' end }
