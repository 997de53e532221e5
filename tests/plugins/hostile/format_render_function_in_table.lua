-- expect: call fails: has no JSON form
-- A table answer is sent as its JSON: a function in it has none.
return sereg.notice_format { name = "h", title = "敌意", version = "1.0.0", render = function(e) return { msgtype = 'markdown', markdown = { content = e.type, f = function() end } } end }
