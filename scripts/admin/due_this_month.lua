-- 本月到期检验的设备，按管辖区域分组。
--
-- 用法：sereg script scripts/admin/due_this_month.lua --as 令牌 --format csv [-- 2026-12] > 本月到期.csv
--
-- 列出下次检验日期落在该月内（含该月已过的日子）的在用设备，只含本账户可见的设备：
-- 区县监察员只看到本区县，市局看到全市。月份缺省为今天所在的月份。
-- 只读脚本：不改动任何数据。

local KIND = { elevator = "电梯", boiler = "锅炉", pressure_vessel = "压力容器" }
local DUE_KIND = { periodic = "定期检验", internal = "内部检验", external = "外部检验", annual_check = "年度检查" }

local month = sereg.args[1] or string.sub(sereg.today, 1, 7)
local y, m = sereg.parse_date(month .. "-01")
if not y then
  error("月份应写作 YYYY-MM（例如 2026-12），而不是 " .. month)
end
local first = string.format("%04d-%02d-01", y, m)
local next_month = sereg.add_months(first, 1)

sereg.columns { "管辖区域代码", "管辖区域", "设备代码", "使用登记证编号", "设备类别", "使用单位", "使用地点",
                "下次检验日期", "检验类别" }

-- 按区县归组：列表本身按到期日排序，组内保持这个顺序。
local districts, names = {}, {}
local total = 0
for u in sereg.each("equipment", { status = "in_service", due_from = first, due_before = next_month }) do
  local rows = districts[u.jurisdiction]
  if not rows then
    rows = {}
    districts[u.jurisdiction] = rows
    names[#names + 1] = u.jurisdiction
  end
  rows[#rows + 1] = {
    ["管辖区域代码"] = u.jurisdiction,
    ["管辖区域"] = u.jurisdiction_name,
    ["设备代码"] = u.equipment_code,
    ["使用登记证编号"] = u.registration_number,
    ["设备类别"] = KIND[u.type] or u.type,
    ["使用单位"] = u.user_unit_name,
    ["使用地点"] = u.address,
    ["下次检验日期"] = u.next_due,
    ["检验类别"] = DUE_KIND[u.next_due_kind] or u.next_due_kind,
  }
  total = total + 1
end

table.sort(names)
for _, code in ipairs(names) do
  local rows = districts[code]
  for _, row in ipairs(rows) do
    sereg.emit(row)
  end
  sereg.log(string.format("%s %s：%d 台", code, rows[1]["管辖区域"], #rows))
end
sereg.log(string.format("%s 月到期 %d 台，涉及 %d 个管辖区域", month, total, #names))
