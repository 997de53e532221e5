-- expect: call fails: not valid UTF-8
-- A body is UTF-8: a GB18030 string ("隐患") is refused, not sent as mojibake.
return sereg.notice_format { name = "h", title = "敌意", version = "1.0.0", render = function(e) return '\210\254\187\188' end }
