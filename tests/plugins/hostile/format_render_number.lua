-- expect: call fails: not a number
-- A number is no body.
return sereg.notice_format { name = "h", title = "敌意", version = "1.0.0", render = function(e) return 42 end }
