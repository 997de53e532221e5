-- The script of tests/bench/script.sh: every unit of the register read through sereg.each, a CSV
-- line for each one in service and past its due date (decided here, in Lua, as a report that
-- needs more than the list's filters would).
sereg.columns { "设备代码", "使用登记证编号", "管辖区域", "使用单位", "下次检验日期" }
local today = sereg.today
local filters = { status = "in_service" }
if sereg.args[1] == "filtered" then filters.overdue = true end
for u in sereg.each("equipment", filters) do
  if u.next_due and u.next_due < today then
    sereg.emit {
      ["设备代码"] = u.equipment_code,
      ["使用登记证编号"] = u.registration_number,
      ["管辖区域"] = u.jurisdiction,
      ["使用单位"] = u.user_unit_name,
      ["下次检验日期"] = u.next_due,
    }
  end
end
