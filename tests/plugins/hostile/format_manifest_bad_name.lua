-- expect: load fails: 'name' must match
-- A subscription names its format: only ^[a-z][a-z0-9_]{0,31}$.
return sereg.notice_format { name = 'WeCom 企业微信', title = 't', version = '1.0.0', render = function(e) return 'x' end }
