-- elevator.lua -- 电梯 (TSG T7001-2023). Car lifts: traction, forced-drive and hydraulic lifts,
-- explosion-proof, firefighter and service lifts. Escalators and moving walks (3310, 3320) have
-- other attributes and belong in a plugin of their own.
local passenger = { ["3110"] = true, ["3210"] = true, ["3410"] = true, ["3420"] = true }

local CONCLUSIONS = {
  { code = "pass", text = "合格", passed = true },
  { code = "pass_on_recheck", text = "复检合格", passed = true },
  { code = "fail", text = "不合格", passed = false },
  { code = "fail_on_recheck", text = "复检不合格", passed = false },
}

-- TSG T7001-2023: periodic inspections in service years 1, 4, 7, 9, 11, 13 and 15 counted from
-- the month of the installation (or modification) supervisory inspection, every year after 15,
-- and a self-test (TSG T7008-2023) in the other years. The older regime inspects every year.
-- Service year N falls due at the end of the N-th anniversary month of the base date and may be
-- done up to EARLY_MONTHS before (the schedule stays); a stop of RESTART_STOP_DAYS or more needs
-- a periodic inspection before restart, whose month becomes the new base.
local SCHEDULES = {
  tsg_t7001_2023 = { periodic_years = { [1] = true, [4] = true, [7] = true, [9] = true, [11] = true,
                                        [13] = true, [15] = true },
                     every_year_after = 15, between = "self_test" },
  yearly = { periodic_years = {}, every_year_after = 0, between = "periodic" },
}
local DEFAULT_REGIME = "tsg_t7001_2023"
local EARLY_MONTHS = { periodic = 2, self_test = 1 }
local RESTART_STOP_DAYS = 365

local function obligation_kind(schedule, n)
  if n > schedule.every_year_after or schedule.periodic_years[n] then return "periodic" end
  return schedule.between
end

-- The N-th year falls due at the end of the N-th anniversary month of the base date.
local function due_of(base, n)
  return sereg.end_of_month(sereg.add_years(base, n))
end

local function satisfies(inspection, kind)
  return inspection.passed and (inspection.kind == kind or inspection.kind == "periodic")
end

-- The latest suspension, and whether it lasted long enough to need a restart inspection.
local function last_suspension(eq, today)
  local s = eq.suspensions and eq.suspensions[#eq.suspensions]
  if not s then return nil end
  local to = s.to or today
  return s, sereg.days_between(s.from, to) >= RESTART_STOP_DAYS
end

-- Service year N's window runs from its early opening up to the day before year N+1's opens: a
-- result there answers year N (after N's due date it is late). Each year's dates are worked out
-- once, so placing a history costs a few comparisons per result.
local function service_years(schedule, base)
  local opens, base_year = {}, tonumber(base:sub(1, 4))
  local function opens_of(n)
    local o = opens[n]
    if not o then
      o = sereg.add_months(due_of(base, n), -EARLY_MONTHS[obligation_kind(schedule, n)])
      opens[n] = o
    end
    return o
  end
  -- The year whose window holds <day>, 0 before year 1's opens. Year N opens at most a few
  -- months before its anniversary, so the search starts at the calendar year after <day>'s.
  return function(day)
    local n = tonumber(day:sub(1, 4)) - base_year + 1
    while n >= 1 and opens_of(n) > day do n = n - 1 end
    return math.max(n, 0)
  end
end

local function next_due(eq, history, today)
  local regime = eq.regime or DEFAULT_REGIME
  local schedule = SCHEDULES[regime] or SCHEDULES[DEFAULT_REGIME]
  -- The base: the latest passed supervisory inspection, else the commissioning date.
  local base, base_why = eq.commissioned_on, "commissioned_on"
  for _, h in ipairs(history) do
    if h.kind == "supervisory" and h.passed and h.inspected_on > base then
      base, base_why = h.inspected_on, "supervisory inspection " .. h.report_number
    end
  end
  local susp, long_stop = last_suspension(eq, today)
  -- After a long stop, the periodic inspection before restart becomes the base.
  if susp and long_stop then
    for _, h in ipairs(history) do
      if h.kind == "periodic" and h.passed and h.inspected_on >= susp.from and h.inspected_on > base then
        base, base_why = h.inspected_on, "restart inspection " .. h.report_number
      end
    end
  end

  -- Each result answers the service year it falls in. The unit owes the year after the latest
  -- one met, or the later year a result showed it was in without meeting it (a failure, a
  -- self-test in a periodic year). Years missed before that are history: being overdue is what
  -- the sweep's hazard records, not a debt that holds the date in the past for ever.
  local year_of = service_years(schedule, base)
  local met, met_by, unmet, unmet_by, last_pass, last_fail = 0, nil, 0, nil, nil, nil
  for _, h in ipairs(history) do
    if h.inspected_on > base and h.kind ~= "supervisory" then
      local n = year_of(h.inspected_on)
      if n >= 1 and satisfies(h, obligation_kind(schedule, n)) then
        if n > met or (n == met and h.inspected_on < met_by.inspected_on) then met, met_by = n, h end
        if not last_pass or h.inspected_on > last_pass then last_pass = h.inspected_on end
      elseif n > unmet then
        unmet, unmet_by = n, h
      end
      if not h.passed and (not last_fail or h.inspected_on >= last_fail.inspected_on) then last_fail = h end
    end
  end
  local n = math.max(met + 1, unmet)
  local kind = obligation_kind(schedule, n)
  local due = due_of(base, n)
  -- The interval: self-tests come yearly; a periodic inspection so many years after the last
  -- periodic year (or after the base date for the first).
  local prev = n - 1
  while kind == "periodic" and prev > 0 and obligation_kind(schedule, prev) ~= "periodic" do prev = prev - 1 end
  local basis = { regime = regime, base_date = base, base = base_why, service_year = n,
                  interval_years = n - prev, early_window_months = EARLY_MONTHS[kind],
                  statutory_latest = due, request_by = sereg.add_months(due, -1) }
  local reason = string.format("%s due in service year %d, counted from %s (%s)",
    kind == "periodic" and "periodic inspection" or "self-test", n, base, regime)
  if met_by then
    local met_due = due_of(base, met)
    basis.last_met_year, basis.last_met_by = met, met_by.report_number
    reason = reason .. string.format("; service year %d met by %s on %s%s", met, met_by.report_number,
      met_by.inspected_on, met_by.inspected_on > met_due and (", late (due " .. met_due .. ")") or "")
  end
  if unmet == n and unmet_by.passed then
    reason = reason .. string.format("; the %s %s on %s does not meet it", unmet_by.kind:gsub("_", "-"),
      unmet_by.report_number, unmet_by.inspected_on)
  end
  -- A failure not made good since is named; one a later pass answered is history.
  if last_fail and not (last_pass and last_pass >= last_fail.inspected_on) then
    reason = reason .. string.format("; %s on %s concluded %s", last_fail.report_number,
      last_fail.inspected_on, last_fail.conclusion_text or last_fail.conclusion)
  end

  if eq.status == "suspended" then
    return { kind = kind, reason = "suspended since " .. susp.from .. ": nothing falls due while out of use; "
      .. "a stop of a year or more needs a periodic inspection before restart", basis = basis }
  end
  if susp and susp.to then
    if long_stop and base < susp.from then
      basis.statutory_latest = susp.to
      return { date = susp.to, kind = "periodic", basis = basis,
               reason = "stopped a year or more (" .. susp.from .. " to " .. susp.to
                 .. "): periodic inspection before restart" }
    elseif due < susp.to then
      basis.originally_due = due
      return { date = susp.to, kind = kind, basis = basis,
               reason = reason .. "; it fell due on " .. due .. " while stopped and is due before use" }
    end
  end
  return { date = due, kind = kind, reason = reason, basis = basis }
end

-- GB 45067-2024 §5.6: defects that make a lift in use a major hazard (重大事故隐患). Any other
-- defect the inspector calls major is a general hazard (一般事故隐患) for the district to follow.
local MAJOR_DEFECTS = {
  door_lock_circuit_shorted = "层门/轿门门锁回路被短接",
  door_anti_pinch_failed = "门防夹人保护装置失效",
  safety_gear_failed = "安全钳、限速器或缓冲器失效",
  brake_failed = "制动器失效",
}

local function hazards(eq, inspection, today)
  if eq.status ~= "in_service" then return nil end -- not in use: nothing is endangered
  local found = {}
  if not inspection.passed then
    found[#found + 1] = { source = "failed_in_use", condition = "failed_result", grade = "major", level = "city",
      reason = "GB 45067-2024 §5.6: conclusion " .. inspection.conclusion_text .. " in report "
        .. inspection.report_number .. " on " .. inspection.inspected_on .. ", and the lift is still in use" }
  end
  for _, d in ipairs(inspection.defects) do
    local major = d.code and MAJOR_DEFECTS[d.code]
    if major then
      found[#found + 1] = { source = "defect", condition = (d.code:gsub(":", "_")), grade = "major", level = "city",
        reason = "GB 45067-2024 §5.6: " .. major .. " (report " .. inspection.report_number .. ")" }
    elseif d.severity == "major" and d.code then
      found[#found + 1] = { source = "defect", condition = (d.code:gsub(":", "_")), grade = "general",
        reason = "major defect " .. d.code .. " in report " .. inspection.report_number .. " awaits rectification" }
    end
  end
  return found
end

return sereg.equipment_type {
  code = "elevator",
  name = "电梯",
  aliases = { "3000" }, -- the 种类 (and 类别) codes and names registers file it under
  version = "1.4.0",
  registration_class = "梯",
  attributes = {
    variety = {
      type = "string", required = true, title = "品种",
      enum = { "3110", "3120", "3130", "3210", "3220", "3410", "3420", "3430" },
      enum_titles = { "曳引驱动乘客电梯", "曳引驱动载货电梯", "强制驱动载货电梯", "液压乘客电梯", "液压载货电梯",
        "防爆电梯", "消防员电梯", "杂物电梯" },
      description = "3110 曳引驱动乘客电梯, 3120 曳引驱动载货电梯, 3130 强制驱动载货电梯, "
        .. "3210 液压乘客电梯, 3220 液压载货电梯, 3410 防爆电梯, 3420 消防员电梯, 3430 杂物电梯",
    },
    rated_load_kg = { type = "integer", required = true, min = 1, max = 100000, title = "额定载重量 (kg)" },
    rated_speed_mps = { type = "number", required = true, min = 0.05, max = 20, title = "额定速度 (m/s)" },
    stops = { type = "integer", required = true, min = 2, max = 250, title = "层站数" },
    maintenance_unit = {
      type = "string", required = true, format = "uscc", title = "维护保养单位统一社会信用代码",
    },
    manufacturer = { type = "string", max_length = 200, title = "制造单位" },
    model = { type = "string", max_length = 100, title = "产品型号" },
  },

  inspections = {
    supervisory = { conclusions = CONCLUSIONS },
    periodic = { conclusions = CONCLUSIONS },
    self_test = { conclusions = CONCLUSIONS },
  },
  next_due = next_due,
  hazards = hazards,

  -- Rules across attributes; the schema has already checked each one alone.
  validate = function(eq)
    local a, errors = eq.attributes, {}
    local v = a.variety
    if v == "3130" and a.rated_speed_mps > 0.63 then
      errors[#errors + 1] = { field = "attributes.rated_speed_mps",
        message = { zh = "强制驱动载货电梯的额定速度不超过 0.63 m/s", en = "强制驱动载货电梯 runs at most 0.63 m/s" } }
    end
    if (v == "3210" or v == "3220") and a.rated_speed_mps > 1.0 then
      errors[#errors + 1] = { field = "attributes.rated_speed_mps",
        message = { zh = "液压电梯的额定速度不超过 1.0 m/s", en = "液压电梯 runs at most 1.0 m/s" } }
    end
    if v == "3430" and a.rated_load_kg > 300 then
      errors[#errors + 1] = { field = "attributes.rated_load_kg",
        message = { zh = "杂物电梯的额定载重量不超过 300 kg", en = "杂物电梯 carries at most 300 kg" } }
    end
    if passenger[v] and a.rated_load_kg < 180 then
      errors[#errors + 1] = { field = "attributes.rated_load_kg",
        message = { zh = "乘客电梯的额定载重量不少于 180 kg（两人）",
          en = "a passenger lift carries at least 180 kg (two persons)" } }
    end
    return errors
  end,
}
