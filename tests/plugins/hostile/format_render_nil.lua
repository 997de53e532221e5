-- expect: call fails: not a nil
-- A render must answer a body: nothing is no body.
return sereg.notice_format { name = "h", title = "敌意", version = "1.0.0", render = function(e) end }
