-- boiler.lua -- 锅炉 (TSG 11-2020). Scope thresholds are those of the 特种设备目录: steam boilers
-- from 0.1 MPa, hot-water boilers from 0.1 MPa and 0.1 MW, organic heat carrier boilers from 0.1 MW.
local MEETS = {
  { code = "meets", text = "符合要求", passed = true },
  { code = "basically_meets", text = "基本符合要求", passed = true },
  { code = "does_not_meet", text = "不符合要求", passed = false },
}
local SUPERVISORY = {
  { code = "pass", text = "合格", passed = true },
  { code = "fail", text = "不合格", passed = false },
}

-- TSG 11-2020: external inspection every year, internal every two years with the first one a
-- year after commissioning, and an internal inspection before reuse after a stop of a year.
local function last_passed(history, kind)
  local found
  for _, h in ipairs(history) do
    if h.kind == kind and h.passed then found = h end
  end
  return found
end

local function next_due(eq, history, today)
  local ext, int = last_passed(history, "external"), last_passed(history, "internal")
  local ext_due = ext and sereg.add_years(ext.inspected_on, 1) or sereg.add_years(eq.commissioned_on, 1)
  local int_due = int and sereg.add_years(int.inspected_on, 2) or sereg.add_years(eq.commissioned_on, 1)
  local basis = { regime = eq.regime or "tsg_11_2020", external_due = ext_due, internal_due = int_due,
                  external_interval_years = 1, internal_interval_years = int and 2 or 1,
                  last_external = ext and ext.inspected_on or nil, last_internal = int and int.inspected_on or nil }
  local s = eq.suspensions and eq.suspensions[#eq.suspensions]
  if eq.status == "suspended" then
    return { kind = "internal", basis = basis, reason = "suspended since " .. s.from
      .. ": nothing falls due while out of use; a stop of a year or more needs an internal inspection before reuse" }
  end
  if s and s.to and sereg.days_between(s.from, s.to) >= 365 and not (int and int.inspected_on >= s.from) then
    return { date = s.to, kind = "internal", basis = basis,
             reason = "stopped a year or more (" .. s.from .. " to " .. s.to .. "): internal inspection before reuse" }
  end
  if int_due <= ext_due then
    return { date = int_due, kind = "internal", basis = basis, reason = int
      and ("internal inspection every 2 years, last on " .. int.inspected_on)
      or ("first internal inspection 1 year after commissioning on " .. eq.commissioned_on) }
  end
  return { date = ext_due, kind = "external", basis = basis, reason = ext
    and ("external inspection every year, last on " .. ext.inspected_on)
    or ("first external inspection 1 year after commissioning on " .. eq.commissioned_on) }
end

-- GB 45067-2024 §5.2: what makes a boiler in use a major hazard (重大事故隐患).
local MAJOR_DEFECTS = {
  safety_valve_failed = "安全阀（爆破片）缺失或失效",
  thermal_instrument_failed = "热工仪表失效或控制电源失去",
  protection_interlock_failed = "报警、联锁或熄火保护装置缺失或失效",
  pressure_part_leak = "受压部件泄漏、炉墙烧红或塌落",
  main_pipe_leak = "电站锅炉主蒸汽管道或主给水管道泄漏或爆管",
}

local function hazards(eq, inspection, today)
  if eq.status ~= "in_service" then return nil end
  local found = {}
  if not inspection.passed then
    found[#found + 1] = { source = "failed_in_use", condition = "failed_result", grade = "major", level = "city",
      reason = "GB 45067-2024 §5.2: conclusion " .. inspection.conclusion_text .. " in report "
        .. inspection.report_number .. " on " .. inspection.inspected_on .. ", and the boiler is still in use" }
  end
  for _, d in ipairs(inspection.defects) do
    local major = d.code and MAJOR_DEFECTS[d.code]
    if major then
      found[#found + 1] = { source = "defect", condition = (d.code:gsub(":", "_")), grade = "major", level = "city",
        reason = "GB 45067-2024 §5.2: " .. major .. " (report " .. inspection.report_number .. ")" }
    elseif d.severity == "major" and d.code then
      found[#found + 1] = { source = "defect", condition = (d.code:gsub(":", "_")), grade = "general",
        reason = "major defect " .. d.code .. " in report " .. inspection.report_number .. " awaits rectification" }
    end
  end
  return found
end

return sereg.equipment_type {
  code = "boiler",
  name = "锅炉",
  aliases = { "1000" }, -- the 种类 (and 类别) codes and names registers file it under
  version = "1.3.0",
  registration_class = "锅",
  attributes = {
    variety = {
      type = "string", required = true, title = "品种",
      enum = { "1100", "1200", "1310", "1320" },
      enum_titles = { "承压蒸汽锅炉", "承压热水锅炉", "有机热载体气相炉", "有机热载体液相炉" },
      description = "1100 承压蒸汽锅炉, 1200 承压热水锅炉, 1310 有机热载体气相炉, 1320 有机热载体液相炉",
    },
    rated_pressure_mpa = { type = "number", required = true, min = 0, max = 40, title = "额定工作压力 (MPa)" },
    rated_capacity = {
      type = "object", required = true, title = "额定蒸发量或额定热功率",
      properties = {
        value = { type = "number", required = true, min = 0, max = 5000 },
        unit = { type = "string", required = true, enum = { "t/h", "MW" } },
      },
    },
    fuel = {
      type = "string", required = true, title = "燃料",
      enum = { "coal", "oil", "natural_gas", "biomass", "electric", "other" },
    },
    manufacturer = { type = "string", max_length = 200, title = "制造单位" },
    model = { type = "string", max_length = 100, title = "型号" },
  },

  inspections = {
    supervisory = { conclusions = SUPERVISORY },
    external = { conclusions = MEETS },
    internal = { conclusions = MEETS },
  },
  next_due = next_due,
  hazards = hazards,

  validate = function(eq)
    local a, errors = eq.attributes, {}
    local cap = a.rated_capacity
    local steam = a.variety == "1100"
    if steam and cap.unit ~= "t/h" then
      errors[#errors + 1] = { field = "attributes.rated_capacity.unit",
        message = { zh = "蒸汽锅炉以额定蒸发量（t/h）计", en = "a steam boiler is rated by evaporation in t/h" } }
    elseif not steam and cap.unit ~= "MW" then
      errors[#errors + 1] = { field = "attributes.rated_capacity.unit",
        message = { zh = "热水锅炉和有机热载体锅炉以额定热功率（MW）计",
          en = "a hot-water or organic heat carrier boiler is rated by thermal power in MW" } }
    end
    if (a.variety == "1100" or a.variety == "1200") and a.rated_pressure_mpa < 0.1 then
      errors[#errors + 1] = { field = "attributes.rated_pressure_mpa",
        message = { zh = "额定压力低于 0.1 MPa 的锅炉不属于特种设备", en = "below 0.1 MPa the boiler is not special equipment" } }
    end
    if not steam and cap.unit == "MW" and cap.value < 0.1 then
      errors[#errors + 1] = { field = "attributes.rated_capacity.value",
        message = { zh = "额定热功率低于 0.1 MW 的锅炉不属于特种设备", en = "below 0.1 MW the boiler is not special equipment" } }
    end
    if cap.value <= 0 then
      errors[#errors + 1] = { field = "attributes.rated_capacity.value", message = { zh = "应大于零", en = "must be positive" } }
    end
    return errors
  end,
}
