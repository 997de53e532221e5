-- listed_supervision.lua -- 挂牌督办 at city level (REGULATIONS §4.5; timings after the 青岛
-- "3+X" practice): a major hazard is proposed (by the escalation ladder or a supervisor), the
-- city lists it with a deadline, the user unit rectifies, the district accepts the work, the
-- city verifies it and delists (摘牌销号). An extension is asked for before the deadline.
return sereg.workflow {
  code = "listed_supervision",
  name = "挂牌督办",
  version = "1.0.0",
  initial = "proposed",
  opened_by = { "city_supervisor", "district_supervisor" },
  states = {
    proposed = { deadline_days = 5 },          -- the city decides within 5 days
    listed = { deadline = "directive" },
    rectifying = { deadline = "directive" },
    extension_requested = { deadline_days = 10 }, -- decided within 10 days
    submitted = { deadline_days = 10 },        -- the district accepts the work within 10 days
    accepted = { deadline_days = 10 },         -- the city verifies within 10 days
    verified = { deadline_days = 5 },          -- published and delisted within 5 days
    declined = { final = true },               -- the city did not list it
    delisted = { final = true, closes_hazards = true },
  },
  transitions = {
    { action = "list", from = { "proposed" }, to = "listed", roles = { "city_supervisor" },
      requires = { "opinion", "deadline" }, sets_deadline = true },
    { action = "decline", from = { "proposed" }, to = "declined", roles = { "city_supervisor" },
      requires = { "opinion" } },
    { action = "start", from = { "listed" }, to = "rectifying", roles = { "user_unit" } },
    { action = "request_extension", from = { "rectifying" }, to = "extension_requested", roles = { "user_unit" },
      requires = { "note", "deadline" }, before_deadline = true },
    { action = "grant_extension", from = { "extension_requested" }, to = "rectifying",
      roles = { "city_supervisor" }, requires = { "opinion", "deadline" }, sets_deadline = true },
    { action = "refuse_extension", from = { "extension_requested" }, to = "rectifying",
      roles = { "city_supervisor" }, requires = { "opinion" } },
    { action = "submit", from = { "rectifying" }, to = "submitted", roles = { "user_unit" },
      requires = { "note", "evidence" } },
    { action = "accept", from = { "submitted" }, to = "accepted", roles = { "district_supervisor" },
      requires = { "opinion" } },
    { action = "send_back", from = { "submitted", "accepted" }, to = "rectifying",
      roles = { "district_supervisor", "city_supervisor" }, requires = { "opinion" } },
    { action = "verify", from = { "accepted" }, to = "verified", roles = { "city_supervisor" },
      requires = { "opinion" } },
    { action = "delist", from = { "verified" }, to = "delisted", roles = { "city_supervisor" } },
  },
}
