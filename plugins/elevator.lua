-- elevator.lua -- 电梯 (TSG T7001-2023). Car lifts: traction, forced-drive and hydraulic lifts,
-- explosion-proof, firefighter and service lifts. Escalators and moving walks (3310, 3320) have
-- other attributes and belong in a plugin of their own.
local passenger = { ["3110"] = true, ["3210"] = true, ["3410"] = true, ["3420"] = true }

return sereg.equipment_type {
  code = "elevator",
  name = "电梯",
  version = "1.0.0",
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
