-- expect: call fails: no template for hazard.opened
-- An error is the reason the render failed.
return sereg.notice_format { name = "h", title = "敌意", version = "1.0.0", render = function(e) error('no template for ' .. e.type) end }
