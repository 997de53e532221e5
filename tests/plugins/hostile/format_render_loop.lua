-- expect: call fails: instruction budget
-- A render that never ends costs that one notice its body, not the deliverer its thread.
return sereg.notice_format { name = "h", title = "敌意", version = "1.0.0", render = function(e) while true do end end }
