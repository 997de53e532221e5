-- expect: load fails: may not be "standard"
-- The Standard Webhooks format is the core's own; a plugin cannot stand in for it.
return sereg.notice_format { name = 'standard', title = 't', version = '1.0.0', render = function(e) return 'x' end }
