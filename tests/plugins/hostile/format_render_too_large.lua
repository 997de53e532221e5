-- expect: call fails: more than 20000
-- A body past the ceiling is refused as a whole, never cut short.
return sereg.notice_format { name = "h", title = "敌意", version = "1.0.0", render = function(e) return { content = ('隐'):rep(4000), more = ('患'):rep(4000) } end }
