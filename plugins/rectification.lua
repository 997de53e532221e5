-- rectification.lua -- 特种设备安全监察指令书: a supervisor orders rectification by a deadline,
-- the user unit acknowledges, rectifies and submits evidence, the supervisor verifies (or sends
-- it back) and closes (销号). REGULATIONS §4.4. A state's deadline passing is reported as
-- rectification.overdue and climbs the escalation ladder.
local SUPERVISORS = { "district_supervisor", "city_supervisor" }

return sereg.workflow {
  code = "rectification",
  name = "安全监察指令书",
  version = "1.0.0",
  initial = "issued",
  opened_by = SUPERVISORS,
  states = {
    issued = { deadline_days = 3 },            -- to be acknowledged within 3 days
    acknowledged = { deadline = "directive" },
    rectifying = { deadline = "directive" },   -- the directive's deadline
    submitted = { deadline_days = 10 },        -- the supervisor reviews within 10 days
    verified = {},
    closed = { final = true, closes_hazards = true },
  },
  transitions = {
    { action = "acknowledge", from = { "issued" }, to = "acknowledged", roles = { "user_unit" } },
    { action = "start", from = { "acknowledged" }, to = "rectifying", roles = { "user_unit" } },
    { action = "submit", from = { "rectifying" }, to = "submitted", roles = { "user_unit" },
      requires = { "note", "evidence" } },
    { action = "verify", from = { "submitted" }, to = "verified", roles = SUPERVISORS, requires = { "opinion" } },
    { action = "reject", from = { "submitted" }, to = "rectifying", roles = SUPERVISORS,
      requires = { "opinion", "deadline" }, sets_deadline = true },
    { action = "close", from = { "verified" }, to = "closed", roles = SUPERVISORS },
  },
}
