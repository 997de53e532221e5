-- 数据质量检查：找出登记信息中需要区县核实的设备。
--
-- 用法：sereg script scripts/admin/data_quality.lua --as 令牌 [--format csv]
--
-- 检查项（设备代码的结构和品种码由数据库本身把关，无需在此检查）：
--   缺少维保单位    电梯未登记维护保养单位（TSG T5002 要求电梯有维保单位）
--   维保单位代码    维保单位的统一社会信用代码未通过 GB 32100 的校验位
--   使用单位代码    使用单位的统一社会信用代码未通过校验位
-- 每个问题一行。只读脚本：不改动任何数据。

sereg.columns { "设备代码", "使用登记证编号", "管辖区域", "使用单位", "问题", "说明" }

local counts = {}
local function report(u, problem, detail)
  sereg.emit {
    ["设备代码"] = u.equipment_code,
    ["使用登记证编号"] = u.registration_number,
    ["管辖区域"] = u.jurisdiction_name,
    ["使用单位"] = u.user_unit_name,
    ["问题"] = problem,
    ["说明"] = detail,
  }
  counts[problem] = (counts[problem] or 0) + 1
end

local checked = 0
for u in sereg.each("equipment") do
  checked = checked + 1
  if u.status ~= "cancelled" and u.status ~= "scrapped" then
    local maint = u.attributes and u.attributes.maintenance_unit
    if u.type == "elevator" and (maint == nil or maint == "") then
      report(u, "缺少维保单位", "电梯未登记维护保养单位")
    elseif type(maint) == "string" and maint ~= "" and not sereg.uscc_valid(maint) then
      report(u, "维保单位代码", "维保单位代码 " .. maint .. " 未通过校验")
    end
    if not sereg.uscc_valid(u.user_unit) then
      report(u, "使用单位代码", "使用单位代码 " .. tostring(u.user_unit) .. " 未通过校验")
    end
  end
end

local parts = {}
for problem, n in pairs(counts) do
  parts[#parts + 1] = problem .. " " .. n
end
table.sort(parts)
sereg.log(string.format("检查设备 %d 台；%s", checked, #parts > 0 and table.concat(parts, "，") or "未发现问题"))
