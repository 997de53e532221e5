-- 各使用单位未整改隐患统计（月度质量工作考核用）。
--
-- 用法：sereg script scripts/admin/open_hazards_by_unit.lua --as 令牌 [--format csv]
--
-- 统计本账户可见范围内每个使用单位的未整改隐患：合计、其中重大、其中一般、超过整改期限。
-- 按未整改隐患数从多到少排列。只读脚本：不改动任何数据。

local names = {}
for o in sereg.each("organizations", { kind = "user_unit" }) do
  names[o.credit_code] = o.name
end

local units, order = {}, {}
local function unit(h)
  local u = units[h.user_unit]
  if not u then
    u = { code = h.user_unit, jurisdiction = h.jurisdiction, open = 0, major = 0, general = 0, late = 0 }
    units[h.user_unit] = u
    order[#order + 1] = u
  end
  return u
end

for h in sereg.each("hazards", { status = "open" }) do
  local u = unit(h)
  u.open = u.open + 1
  if h.grade == "major" then
    u.major = u.major + 1
  else
    u.general = u.general + 1
  end
end
for h in sereg.each("hazards", { status = "open", overdue = true }) do
  local u = unit(h)
  u.late = u.late + 1
end

table.sort(order, function(a, b)
  if a.open ~= b.open then return a.open > b.open end
  return a.code < b.code
end)

sereg.columns { "使用单位", "统一社会信用代码", "管辖区域", "未整改隐患", "其中重大", "其中一般", "超过整改期限" }
local total = 0
for _, u in ipairs(order) do
  sereg.emit {
    ["使用单位"] = names[u.code] or "（本账户不可见）",
    ["统一社会信用代码"] = u.code,
    ["管辖区域"] = u.jurisdiction,
    ["未整改隐患"] = u.open,
    ["其中重大"] = u.major,
    ["其中一般"] = u.general,
    ["超过整改期限"] = u.late,
  }
  total = total + u.open
end
sereg.log(string.format("%d 个使用单位共有未整改隐患 %d 项", #order, total))
