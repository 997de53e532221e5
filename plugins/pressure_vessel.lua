-- pressure_vessel.lua -- 固定式压力容器 (TSG 21-2016). In scope from 0.1 MPa working pressure and
-- 0.03 m³ volume; 超高压容器 (2110) are those designed for 100 MPa and above.
local PERIODIC = {
  { code = "permitted", text = "允许使用", passed = true },
  { code = "monitored", text = "监控使用", passed = true },
  { code = "not_permitted", text = "不允许使用", passed = false },
}
local MEETS = {
  { code = "meets", text = "符合要求", passed = true },
  { code = "basically_meets", text = "基本符合要求", passed = true },
  { code = "does_not_meet", text = "不符合要求", passed = false },
}
local SUPERVISORY = {
  { code = "pass", text = "合格", passed = true },
  { code = "fail", text = "不合格", passed = false },
}
local CONCLUSION_OF_GRADE = { "permitted", "permitted", "permitted", "monitored", "not_permitted" }
local CONCLUSION_TEXT = {}
for _, c in ipairs(PERIODIC) do CONCLUSION_TEXT[c.code] = c.text end

-- TSG 21-2016: the first periodic inspection within 3 years of commissioning, then by safety
-- grade: 1-2 every 6 years, 3 every 3 to 6 years (3 here, the safe end), 4 monitored use for at
-- most 3 years in all (yearly here), 5 not to be used. An annual check every year besides.
-- Returns the periodic due date, why, and the interval in years that led to it.
local function periodic_due(eq, history)
  local last, monitored_since
  for _, h in ipairs(history) do
    if h.kind == "periodic" then
      last = h
      if h.safety_grade == 4 then monitored_since = monitored_since or h.inspected_on
      else monitored_since = nil end
    end
  end
  if not last then
    return sereg.add_years(eq.commissioned_on, 3), "first periodic inspection within 3 years of commissioning", 3
  end
  local g, on = last.safety_grade, last.inspected_on
  if g <= 2 then return sereg.add_years(on, 6), "safety grade " .. g .. ": every 6 years", 6 end
  if g == 3 then return sereg.add_years(on, 3), "safety grade 3: every 3 to 6 years (the shorter applies)", 3 end
  if g == 4 then
    local yearly, limit = sereg.add_years(on, 1), sereg.add_years(monitored_since, 3)
    if limit < yearly then
      return limit, "safety grade 4: monitored use ends 3 years after " .. monitored_since, 1
    end
    return yearly, "safety grade 4: monitored use, inspected yearly, at most 3 years from " .. monitored_since, 1
  end
  return on, "safety grade 5 on " .. on .. ": not to be used until the defects are treated and it is inspected again", 0
end

local function next_due(eq, history, today)
  local p_due, p_why, p_years = periodic_due(eq, history)
  local last_check
  for _, h in ipairs(history) do
    if h.passed and (h.kind == "annual_check" or h.kind == "periodic") then last_check = h.inspected_on end
  end
  local a_due = sereg.add_years(last_check or eq.commissioned_on, 1)
  local basis = { regime = eq.regime or "tsg_21_2016", periodic_due = p_due, periodic_interval_years = p_years,
                  annual_check_due = a_due, annual_check_interval_years = 1 }
  if eq.status == "suspended" then
    return { kind = "periodic", basis = basis, reason = "suspended: nothing falls due while out of use" }
  end
  if p_due <= a_due then
    return { date = p_due, kind = "periodic", reason = p_why, basis = basis }
  end
  return { date = a_due, kind = "annual_check", basis = basis,
           reason = "annual check every year, last " .. (last_check or ("commissioning on " .. eq.commissioned_on)) }
end

-- 总局令第57号 art. 25 and GB 45067-2024 (REGULATIONS §4.2-4.3): a vessel that failed, or was
-- rated safety grade 5, and is still in use; safety accessories missing or failed.
local MAJOR_DEFECTS = {
  safety_valve_failed = "安全阀或爆破片缺失或失效",
  emergency_shutoff_failed = "紧急切断装置缺失或失效",
}

local function hazards(eq, inspection, today)
  if eq.status ~= "in_service" then return nil end
  local found = {}
  if not inspection.passed or inspection.safety_grade == 5 then
    found[#found + 1] = { source = "failed_in_use", condition = "failed_result", grade = "major", level = "city",
      reason = "conclusion " .. inspection.conclusion_text
        .. (inspection.safety_grade and (", safety grade " .. inspection.safety_grade) or "")
        .. " in report " .. inspection.report_number .. ", and the vessel is still in use" }
  end
  for _, d in ipairs(inspection.defects) do
    local major = d.code and MAJOR_DEFECTS[d.code]
    if major then
      found[#found + 1] = { source = "defect", condition = (d.code:gsub(":", "_")), grade = "major", level = "city",
        reason = major .. " (report " .. inspection.report_number .. ")" }
    elseif d.severity == "major" and d.code then
      found[#found + 1] = { source = "defect", condition = (d.code:gsub(":", "_")), grade = "general",
        reason = "major defect " .. d.code .. " in report " .. inspection.report_number .. " awaits rectification" }
    end
  end
  return found
end

return sereg.equipment_type {
  code = "pressure_vessel",
  name = "固定式压力容器",
  aliases = { "压力容器", "2000", "2100" }, -- the 种类 (and 类别) codes and names registers file it under
  version = "1.3.0",
  registration_class = "容",
  attributes = {
    variety = {
      type = "string", required = true, title = "品种",
      enum = { "2110", "2130", "2150", "2170" },
      enum_titles = { "超高压容器", "第三类压力容器", "第二类压力容器", "第一类压力容器" },
      description = "2110 超高压容器, 2130 第三类压力容器, 2150 第二类压力容器, 2170 第一类压力容器",
    },
    design_pressure_mpa = { type = "number", required = true, min = 0, max = 1000, title = "设计压力 (MPa)" },
    volume_m3 = { type = "number", required = true, min = 0, max = 100000, title = "容积 (m³)" },
    medium = { type = "string", required = true, max_length = 100, title = "介质" },
    design_temperature_c = { type = "number", min = -273, max = 1500, title = "设计温度 (°C)" },
    manufacturer = { type = "string", max_length = 200, title = "制造单位" },
  },

  inspections = {
    supervisory = { conclusions = SUPERVISORY },
    periodic = { conclusions = PERIODIC, safety_grade = "required" },
    annual_check = { conclusions = MEETS },
  },
  next_due = next_due,
  hazards = hazards,

  -- The use decision follows from the grade: 1-3 允许使用, 4 监控使用, 5 不允许使用.
  check_inspection = function(eq, inspection)
    if inspection.kind == "periodic" and inspection.conclusion ~= CONCLUSION_OF_GRADE[inspection.safety_grade] then
      return { { field = "conclusion", message = {
        zh = "安全状况等级为 " .. inspection.safety_grade .. " 级，结论应为"
          .. CONCLUSION_TEXT[CONCLUSION_OF_GRADE[inspection.safety_grade]],
        en = "safety grade " .. inspection.safety_grade .. " means "
          .. CONCLUSION_OF_GRADE[inspection.safety_grade] } } }
    end
  end,

  validate = function(eq)
    local a, errors = eq.attributes, {}
    if a.design_pressure_mpa < 0.1 then
      errors[#errors + 1] = { field = "attributes.design_pressure_mpa",
        message = { zh = "设计压力低于 0.1 MPa 的容器不属于特种设备", en = "below 0.1 MPa the vessel is not special equipment" } }
    end
    if a.volume_m3 < 0.03 then
      errors[#errors + 1] = { field = "attributes.volume_m3",
        message = { zh = "容积小于 0.03 m³ 的容器不属于特种设备", en = "below 0.03 m³ the vessel is not special equipment" } }
    end
    local ultra = a.design_pressure_mpa >= 100
    if a.variety == "2110" and not ultra then
      errors[#errors + 1] = { field = "attributes.variety",
        message = { zh = "超高压容器（2110）的设计压力不低于 100 MPa", en = "超高压容器 (2110) are designed for 100 MPa or more" } }
    elseif a.variety ~= "2110" and ultra then
      errors[#errors + 1] = { field = "attributes.variety",
        message = { zh = "设计压力不低于 100 MPa 的容器属于超高压容器（2110）",
          en = "a vessel designed for 100 MPa or more is 超高压容器 (2110)" } }
    end
    if a.medium:match("^%s*$") then
      errors[#errors + 1] = { field = "attributes.medium", message = { zh = "应填写工作介质", en = "must name the medium" } }
    end
    return errors
  end,
}
