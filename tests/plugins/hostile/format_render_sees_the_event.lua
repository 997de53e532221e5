-- expect: call ok
-- The event crosses as a plain table, its subject included, and a table answer goes as JSON.
return sereg.notice_format { name = "h", title = "敌意", version = "1.0.0", render = function(e)
  assert(e.type == 'hazard.opened' and e.data.grade == 'major' and e.timestamp == '2026-06-15T08:00:00Z')
  assert(e.data.subject.equipment.registration_number == '梯11川A00001(26)')
  return { msgtype = 'markdown', markdown = { content = '### ' .. e.data.subject.equipment.registration_number } }
end }
