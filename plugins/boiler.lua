-- boiler.lua -- 锅炉 (TSG 11-2020). Scope thresholds are those of the 特种设备目录: steam boilers
-- from 0.1 MPa, hot-water boilers from 0.1 MPa and 0.1 MW, organic heat carrier boilers from 0.1 MW.
return sereg.equipment_type {
  code = "boiler",
  name = "锅炉",
  version = "1.0.0",
  registration_class = "锅",
  attributes = {
    variety = {
      type = "string", required = true, title = "品种",
      enum = { "1100", "1200", "1310", "1320" },
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

  validate = function(eq)
    local a, errors = eq.attributes, {}
    local cap = a.rated_capacity
    local steam = a.variety == "1100"
    if steam and cap.unit ~= "t/h" then
      errors[#errors + 1] = { field = "attributes.rated_capacity.unit",
        message = "a steam boiler is rated by evaporation in t/h" }
    elseif not steam and cap.unit ~= "MW" then
      errors[#errors + 1] = { field = "attributes.rated_capacity.unit",
        message = "a hot-water or organic heat carrier boiler is rated by thermal power in MW" }
    end
    if (a.variety == "1100" or a.variety == "1200") and a.rated_pressure_mpa < 0.1 then
      errors[#errors + 1] = { field = "attributes.rated_pressure_mpa",
        message = "below 0.1 MPa the boiler is not special equipment" }
    end
    if not steam and cap.unit == "MW" and cap.value < 0.1 then
      errors[#errors + 1] = { field = "attributes.rated_capacity.value",
        message = "below 0.1 MW the boiler is not special equipment" }
    end
    if cap.value <= 0 then
      errors[#errors + 1] = { field = "attributes.rated_capacity.value", message = "must be positive" }
    end
    return errors
  end,
}
