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
local PERIODIC_YEAR = { [1] = true, [4] = true, [7] = true, [9] = true, [11] = true, [13] = true, [15] = true }
local EARLY_MONTHS = { periodic = 2, self_test = 1 } -- may be done this early; the schedule stays

local function obligation_kind(regime, n)
  if regime == "yearly" or n > 15 or PERIODIC_YEAR[n] then return "periodic" end
  return "self_test"
end

-- The N-th year falls due at the end of the N-th anniversary month of the base date.
local function due_of(base, n)
  return sereg.end_of_month(sereg.add_years(base, n))
end

local function satisfies(inspection, kind)
  return inspection.passed and (inspection.kind == kind or inspection.kind == "periodic")
end

-- The latest suspension, and whether it lasted a year or more.
local function last_suspension(eq, today)
  local s = eq.suspensions and eq.suspensions[#eq.suspensions]
  if not s then return nil end
  local to = s.to or today
  return s, sereg.days_between(s.from, to) >= 365
end

local function next_due(eq, history, today)
  local regime = eq.regime or "tsg_t7001_2023"
  -- The base: the latest passed supervisory inspection, else the commissioning date.
  local base, base_why = eq.commissioned_on, "commissioned_on"
  for _, h in ipairs(history) do
    if h.kind == "supervisory" and h.passed and h.inspected_on > base then
      base, base_why = h.inspected_on, "supervisory inspection " .. h.report_number
    end
  end
  local susp, long_stop = last_suspension(eq, today)
  -- After a stop of a year or more, the periodic inspection before restart becomes the base.
  if susp and long_stop then
    for _, h in ipairs(history) do
      if h.kind == "periodic" and h.passed and h.inspected_on >= susp.from and h.inspected_on > base then
        base, base_why = h.inspected_on, "restart inspection " .. h.report_number
      end
    end
  end

  local n, last_fail = 1, nil
  for _, h in ipairs(history) do
    if h.inspected_on > base and h.kind ~= "supervisory" then
      local kind = obligation_kind(regime, n)
      local opens = sereg.add_months(due_of(base, n), -EARLY_MONTHS[kind])
      if satisfies(h, kind) and h.inspected_on >= opens then
        n = n + 1
      elseif not h.passed then
        last_fail = h
      end
    end
  end
  local kind = obligation_kind(regime, n)
  local due = due_of(base, n)
  -- The interval: self-tests come yearly; a periodic inspection so many years after the last
  -- periodic year (or after the base date for the first).
  local prev = n - 1
  while kind == "periodic" and prev > 0 and obligation_kind(regime, prev) ~= "periodic" do prev = prev - 1 end
  if kind ~= "periodic" then prev = n - 1 end
  local basis = { regime = regime, base_date = base, base = base_why, service_year = n,
                  interval_years = n - prev, early_window_months = EARLY_MONTHS[kind],
                  statutory_latest = due, request_by = sereg.add_months(due, -1) }
  local reason = string.format("%s due in service year %d, counted from %s (%s)",
    kind == "periodic" and "periodic inspection" or "self-test", n, base, regime)
  if last_fail then
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
  version = "1.3.0",
  registration_class = "梯",
  attributes = {
    variety = {
      type = "string", required = true, title = "品种",
      enum = { "3110", "3120", "3130", "3210", "3220", "3410", "3420", "3430" },
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
        message = "强制驱动载货电梯 runs at most 0.63 m/s" }
    end
    if (v == "3210" or v == "3220") and a.rated_speed_mps > 1.0 then
      errors[#errors + 1] = { field = "attributes.rated_speed_mps",
        message = "液压电梯 runs at most 1.0 m/s" }
    end
    if v == "3430" and a.rated_load_kg > 300 then
      errors[#errors + 1] = { field = "attributes.rated_load_kg",
        message = "杂物电梯 carries at most 300 kg" }
    end
    if passenger[v] and a.rated_load_kg < 180 then
      errors[#errors + 1] = { field = "attributes.rated_load_kg",
        message = "a passenger lift carries at least 180 kg (two persons)" }
    end
    return errors
  end,
}
