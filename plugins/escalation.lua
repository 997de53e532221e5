-- escalation.lua -- the escalation ladder for hidden hazards (事故隐患), REGULATIONS §4.1-4.5.
-- Each rung fires once per hazard, on the day it falls due, and is recorded with its reason. A
-- hazard keeps the ladder version it was opened under: change the numbers here and bump the
-- version, and the new ladder applies to hazards opened from then on.
return sereg.escalation {
  version = "1.0.0",

  -- What the sweep opens for an overdue inspection: not itself a GB 45067 condition, so 一般,
  -- followed by the district (§4.3).
  opens = { overdue = { grade = "general", level = "district" } },

  rungs = {
    {
      id = "overdue_notice", when = { source = { "overdue" } }, after_days = 30,
      notify = { "user_unit", "district" },
      reason = "the inspection is still overdue 30 days after the hazard was found",
    },
    {
      id = "overdue_to_city", when = { source = { "overdue" } }, after_days = 90,
      set = { level = "city" }, notify = { "user_unit", "district", "city" },
      reason = "the inspection is still overdue 90 days after the hazard was found: the city follows it",
    },
    {
      -- 总局令第57号 art. 25(2), GB 45067: a failed unit still in use is a major hazard.
      id = "failed_in_use_listing", when = { source = { "failed_in_use" } }, after_days = 0,
      set = { grade = "major", level = "city" }, propose = "listed_supervision",
      notify = { "user_unit", "district", "city" },
      reason = "a failed unit still in use is a major hazard (重大事故隐患): proposed for 挂牌督办",
    },
    {
      id = "major_defect_listing", when = { source = { "defect" }, grade = { "major" } }, after_days = 0,
      propose = "listed_supervision", notify = { "user_unit", "district", "city" },
      reason = "a GB 45067-2024 major-hazard condition: proposed for 挂牌督办",
    },
    {
      -- A directive's deadline passed with the hazard still open (§4.2: refusing to rectify).
      id = "rectification_overdue", on = "rectification_overdue",
      set = { grade = "major", level = "city" }, propose = "listed_supervision",
      notify = { "user_unit", "district", "city" },
      reason = "open past its rectification deadline: 重大, at city level, proposed for 挂牌督办",
    },
  },
}
