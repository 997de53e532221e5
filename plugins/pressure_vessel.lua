-- pressure_vessel.lua -- 固定式压力容器 (TSG 21-2016). In scope from 0.1 MPa working pressure and
-- 0.03 m³ volume; 超高压容器 (2110) are those designed for 100 MPa and above.
return sereg.equipment_type {
  code = "pressure_vessel",
  name = "固定式压力容器",
  version = "1.0.0",
  registration_class = "容",
  attributes = {
    variety = {
      type = "string", required = true, title = "品种",
      enum = { "2110", "2130", "2150", "2170" },
      description = "2110 超高压容器, 2130 第三类压力容器, 2150 第二类压力容器, 2170 第一类压力容器",
    },
    design_pressure_mpa = { type = "number", required = true, min = 0, max = 1000, title = "设计压力 (MPa)" },
    volume_m3 = { type = "number", required = true, min = 0, max = 100000, title = "容积 (m³)" },
    medium = { type = "string", required = true, max_length = 100, title = "介质" },
    design_temperature_c = { type = "number", min = -273, max = 1500, title = "设计温度 (°C)" },
    manufacturer = { type = "string", max_length = 200, title = "制造单位" },
  },

  validate = function(eq)
    local a, errors = eq.attributes, {}
    if a.design_pressure_mpa < 0.1 then
      errors[#errors + 1] = { field = "attributes.design_pressure_mpa",
        message = "below 0.1 MPa the vessel is not special equipment" }
    end
    if a.volume_m3 < 0.03 then
      errors[#errors + 1] = { field = "attributes.volume_m3",
        message = "below 0.03 m³ the vessel is not special equipment" }
    end
    local ultra = a.design_pressure_mpa >= 100
    if a.variety == "2110" and not ultra then
      errors[#errors + 1] = { field = "attributes.variety",
        message = "超高压容器 (2110) are designed for 100 MPa or more" }
    elseif a.variety ~= "2110" and ultra then
      errors[#errors + 1] = { field = "attributes.variety",
        message = "a vessel designed for 100 MPa or more is 超高压容器 (2110)" }
    end
    if a.medium:match("^%s*$") then
      errors[#errors + 1] = { field = "attributes.medium", message = "must name the medium" }
    end
    return errors
  end,
}
