-- 逾期未检仍在使用的设备：对逾期超过 N 天的，开具安全监察指令书。
--
-- 用法：sereg script scripts/admin/overdue_directives.lua --as 令牌 [--apply] [-- N 文号前缀 整改期限天数]
--   N             逾期天数的门槛，缺省 30：下次检验日期早于今天 N 天以上的在用设备
--   文号前缀      指令书文号的前缀，缺省“特监指〔年份〕”，文号为前缀加隐患编号（同一隐患不会重号）
--   整改期限天数  指令书要求的整改期限，缺省 15 天
--
-- 先不加 --apply 演练：列出每台设备将开具的指令书（或为什么不开），不写入任何数据；
-- 核对无误后加 --apply 执行，每份指令书各自提交，留有历史、审计（注明本脚本及其 SHA-256）和通知。
-- 指令书针对巡查已登记的“逾期未检”隐患；已有未结整改的隐患不再重复开具。

local days = tonumber(sereg.args[1] or "30")
if not days or days < 0 or days ~= math.floor(days) then
  error("N 应为不小于 0 的整数天数，而不是 " .. tostring(sereg.args[1]))
end
local prefix = sereg.args[2] or ("特监指〔" .. string.sub(sereg.today, 1, 4) .. "〕")
local limit = tonumber(sereg.args[3] or "15")
if not limit or limit < 1 or limit ~= math.floor(limit) then
  error("整改期限天数应为正整数，而不是 " .. tostring(sereg.args[3]))
end
local deadline = sereg.add_days(sereg.today, limit)
local before = sereg.add_days(sereg.today, -days)

sereg.columns { "设备代码", "使用单位", "管辖区域", "下次检验日期", "逾期天数", "隐患编号", "指令书文号", "结果" }

local opened, skipped, refused = 0, 0, 0
for u in sereg.each("equipment", { status = "in_service", due_before = before }) do
  local row = {
    ["设备代码"] = u.equipment_code,
    ["使用单位"] = u.user_unit_name,
    ["管辖区域"] = u.jurisdiction_name,
    ["下次检验日期"] = u.next_due,
    ["逾期天数"] = sereg.days_between(u.next_due, sereg.today),
  }
  local hazard
  for h in sereg.each("hazards", { equipment_id = u.id, status = "open", source = "overdue" }) do
    hazard = h
    break
  end
  if not hazard then
    row["结果"] = "尚无逾期未检隐患（待巡查登记），未开具"
    skipped = skipped + 1
  else
    row["隐患编号"] = hazard.id
    local covered = false
    for _ in sereg.each("rectifications", { hazard_id = hazard.id, open = true }) do
      covered = true
      break
    end
    if covered then
      row["结果"] = "已有未结整改，未重复开具"
      skipped = skipped + 1
    else
      local number = prefix .. string.format("%06d", hazard.id)
      local r, ok = sereg.open("rectifications", {
        workflow = "rectification",
        hazard_ids = { hazard.id },
        directive_number = number,
        deadline = deadline,
        note = string.format("设备逾期未检 %d 天仍在使用，责令于 %s 前完成定期检验或停止使用。",
                             row["逾期天数"], deadline),
      })
      row["指令书文号"] = number
      if ok then
        row["结果"] = sereg.dry_run and "将开具" or ("已开具（整改编号 " .. r.id .. "）")
        opened = opened + 1
      else
        local why = r.detail or ""
        if r.errors and r.errors[1] then
          why = r.errors[1].field .. " " .. r.errors[1].message
        end
        row["结果"] = "被拒绝：" .. why
        refused = refused + 1
      end
    end
  end
  sereg.emit(row)
end
sereg.log(string.format("逾期超过 %d 天：%s %d 份指令书，未开具 %d，被拒绝 %d", days,
                        sereg.dry_run and "将开具" or "已开具", opened, skipped, refused))
