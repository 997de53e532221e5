-- expect: load fails: 'content_type' must be a media type
-- A content type is sent as a header: a line break in it would add headers of the plugin's own.
return sereg.notice_format { name = "h", title = "敌意", version = "1.0.0", content_type = 'text/plain\r\nX-Forwarded-For: 127.0.0.1', render = function(e) return 'x' end }
