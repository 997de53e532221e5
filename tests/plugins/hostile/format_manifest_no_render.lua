-- expect: load fails: 'render' is required
-- A format that cannot render is refused when it loads, not when the first notice goes out.
return sereg.notice_format { name = "h", title = "敌意", version = "1.0.0" }
