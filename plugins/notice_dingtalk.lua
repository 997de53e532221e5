-- notice_dingtalk.lua -- sereg's notices as a DingTalk (钉钉) custom robot's markdown message, in
-- the words officials use (REGULATIONS §1, §3.6, §4): what happened, to which unit, and what is
-- to be done by when. A message is {"msgtype":"markdown","markdown":{"title":...,"text":...}};
-- the title is what the chat list shows, and every message holds "特种设备", so a robot whose
-- security setting is that keyword takes them all. Text that comes from the registry is put on
-- one line and kept from making markup of its own (links, HTML tags). notice_wecom.lua says the
-- same for WeCom: a change of wording belongs in both files.
local MAX_TEXT = 4096  -- bytes of markdown.text: as much as WeCom's robot takes, far below DingTalk's own
local MAX_TITLE = 96  -- bytes of markdown.title, the line the chat list shows
local MAX_VALUE = 300    -- bytes of one value from the registry (a name, an address, a note)

local TYPES = { elevator = "电梯", boiler = "锅炉", pressure_vessel = "压力容器" }
local GRADES = { general = "一般事故隐患", major = "重大事故隐患" }
local LEVELS = { district = "区（县）级", city = "市级" }
local SOURCES = { overdue = "定期检验逾期", failed_in_use = "检验不合格仍在使用", defect = "检验发现缺陷",
                  patrol = "巡查发现", manual = "监管人员录入" }
local AUDIENCES = { user_unit = "使用单位", district = "区（县）监管部门", city = "市级监管部门" }
local KINDS = { periodic = "定期检验", supervisory = "监督检验", first = "首次检验", self_test = "自行检测",
                annual_check = "年度检查", external = "外部检验", internal = "内部检验" }
local ORG_KINDS = { user_unit = "使用单位", maintenance_unit = "维护保养单位", agency = "检验机构" }
local EQ_ACTIONS = { register = "使用登记", approve = "使用登记已核准", suspend = "停用", resume = "恢复使用",
                     modify = "改造", relocate = "移装", transfer = "过户", rename = "使用单位更名",
                     scrap = "报废", cancel = "注销" }
local STATUSES = { pending = "待审核", in_service = "在用", suspended = "停用", scrapped = "报废",
                   cancelled = "注销" }
local WORKFLOWS = { rectification = "安全监察指令书", listed_supervision = "挂牌督办" }
local STATES = { issued = "已下达待签收", acknowledged = "已签收", rectifying = "整改中",
                 submitted = "已提交待复查", verified = "已复查", closed = "已销号", proposed = "已提请挂牌",
                 listed = "已挂牌", extension_requested = "申请延期待批", accepted = "已验收待复核",
                 declined = "不予挂牌", delisted = "已摘牌销号" }
-- What a step of a workflow is called, and whose move comes next.
local STEPS = {
  rectification = {
    open = { "监察指令书已下达", "请使用单位签收指令书，并{期限}完成整改。" },
    acknowledge = { "监察指令书已签收", "请使用单位按指令书开始整改。" },
    start = { "使用单位已开始整改", "请使用单位{期限}完成整改并提交整改情况。" },
    submit = { "整改情况已提交", "请监管部门复查整改情况。" },
    verify = { "整改已复查确认", "请监管部门办理销号。" },
    reject = { "整改未通过复查，已退回", "请使用单位按复查意见重新整改，{期限}完成。" },
    close = { "监察指令书已销号", nil },
  },
  listed_supervision = {
    open = { "已提请挂牌督办", "请市级监管部门决定是否挂牌督办。" },
    propose = { "已提请挂牌督办", "请市级监管部门决定是否挂牌督办。" },
    list = { "已列入挂牌督办", "请使用单位{期限}完成整改，整改期间停止使用该设备。" },
    decline = { "不予挂牌督办", nil },
    start = { "挂牌隐患已开始整改", "请使用单位{期限}完成整改。" },
    request_extension = { "申请延长督办期限", "请市级监管部门决定是否同意延期。" },
    grant_extension = { "同意延长督办期限", "请使用单位{期限}完成整改。" },
    refuse_extension = { "不同意延长督办期限", "请使用单位{期限}完成整改。" },
    submit = { "挂牌隐患整改情况已提交", "请区（县）监管部门验收。" },
    accept = { "区（县）级已验收", "请市级监管部门复核。" },
    send_back = { "整改被退回", "请使用单位按意见重新整改，{期限}完成。" },
    verify = { "市级已复核", "请市级监管部门办理摘牌销号。" },
    delist = { "已摘牌销号", nil },
  },
}
local EVENTS = { -- the Chinese name of an event type, for messages about messages
  ["hazard.opened"] = "隐患发现", ["hazard.escalated"] = "隐患升级", ["hazard.closed"] = "隐患销号",
  ["rectification.transitioned"] = "整改进展", ["rectification.overdue"] = "整改逾期",
  ["inspection.recorded"] = "检验结果", ["equipment.due_changed"] = "下次检验日期",
  ["equipment.registered"] = "设备注册", ["equipment.transitioned"] = "设备变更",
}
local ESCAPES = { ["<"] = "＜", [">"] = "＞", ["["] = "［", ["]"] = "］", ["`"] = "'" }

-- The first <n> bytes of <s> or fewer, cut between characters.
local function cut(s, n)
  if #s <= n then
    return s
  end
  while n > 0 and (s:byte(n + 1) or 0) & 0xC0 == 0x80 do
    n = n - 1
  end
  return s:sub(1, n) .. "…"
end

-- A value from the registry as one line of plain text, or nil when there is none.
local function text(v)
  if math.type(v) == "integer" then
    return string.format("%d", v)
  elseif type(v) == "number" then
    return tostring(v)
  elseif type(v) ~= "string" or v == "" then
    return nil
  end
  v = v:gsub("%c+", " "):gsub("[<>%[%]`]", ESCAPES)
  return cut(v, MAX_VALUE)
end

local function tbl(v)
  return type(v) == "table" and v or {}
end

-- "2026-06-15T08:00:00Z" as Beijing time, "2026-06-15 16:00".
local function beijing(ts)
  local d, h, m = tostring(ts):match("^(%d%d%d%d%-%d%d%-%d%d)T(%d%d):(%d%d):%d%d[%.%d]*Z$")
  if not d then
    return text(ts)
  end
  h = tonumber(h) + 8
  if h >= 24 then
    local ok, next_day = pcall(sereg.add_days, d, 1)
    if not ok then
      return text(ts)
    end
    d, h = next_day, h - 24
  end
  return string.format("%s %02d:%s", d, h, m)
end

local function names(list, words)
  local out = {}
  for _, v in ipairs(tbl(list)) do
    out[#out + 1] = words[v] or text(v)
  end
  return #out > 0 and table.concat(out, "、") or nil
end

-- What the user unit does about an inspection of <kind>: it does a self-test or an annual check
-- itself (or has it done), and asks an inspection agency for the others.
local function due_action(kind)
  if kind == "self_test" or kind == "annual_check" then
    return "完成" .. KINDS[kind]
  end
  return "向检验机构申请" .. (KINDS[kind] or "检验")
end

-- Each event type's own words: title, whether it is a warning, its facts ({label, value}, in
-- order) and what to do next.
local HANDLERS = {}

HANDLERS["hazard.opened"] = function(d)
  local f = tbl(d.facts)
  local major = d.grade == "major"
  local facts = { { "隐患等级", GRADES[d.grade] or text(d.grade) }, { "来源", SOURCES[d.source] or text(d.source) },
                  { "跟踪层级", LEVELS[d.level] }, { "发现日期", text(d.found_on) } }
  if d.source == "overdue" then
    facts[#facts + 1] = { "应检日期", text(f.next_due) and (text(f.next_due) .. "（" .. (KINDS[f.next_due_kind] or "检验")
                                          .. "），已逾期 " .. (text(f.days_overdue) or "?") .. " 天") }
  end
  facts[#facts + 1] = { "检验报告", text(f.report_number) and (text(f.report_number) .. " " .. (text(f.conclusion_text) or "")) }
  facts[#facts + 1] = { "情况", text(f.description) }
  local next_step = major and "该设备存在重大事故隐患，请使用单位立即停止使用并排除隐患，监管部门依法下达安全监察指令书。"
               or d.source == "overdue" and ("请使用单位立即" .. due_action(f.next_due_kind)
                                             .. (f.next_due_kind == "self_test" and "。" or "；未经定期检验的设备不得继续使用。"))
               or "请使用单位及时排除隐患。"
  return major and "隐患已发现：重大事故隐患" or "隐患已发现", major, facts, next_step
end

HANDLERS["hazard.escalated"] = function(d)
  local h = tbl(d.hazard)
  local major = d.grade_to == "major" or h.grade == "major"
  local to_major = d.grade_to == "major" and d.grade_from ~= "major"
  local to_city = d.level_to == "city" and d.level_from ~= "city"
  local listing = d.propose == "listed_supervision"
  local title = to_major and "隐患已升级为重大事故隐患" or to_city and "隐患已升级，转由市级跟踪"
                or listing and (major and "重大事故隐患" or "事故隐患") or "隐患仍未消除"
  if listing then
    title = title .. ((to_major or to_city) and "，提请挂牌督办" or "提请挂牌督办")
  end
  local facts = { { "隐患等级", GRADES[d.grade_to] or GRADES[h.grade] }, { "跟踪层级", LEVELS[d.level_to] or LEVELS[h.level] },
                  { "层级变化", to_city and ((LEVELS[d.level_from] or "?") .. " → " .. LEVELS.city) or nil },
                  { "来源", SOURCES[h.source] }, { "发现日期", text(h.found_on) }, { "通知", names(d.notify, AUDIENCES) } }
  local next_step = listing and "已提请挂牌督办，请市级监管部门决定是否挂牌；使用单位应立即停止使用并整改。"
               or major and "请使用单位立即停止使用并排除隐患。"
               or "请使用单位尽快排除隐患，监管部门跟进督促。"
  return title, major, facts, next_step
end

HANDLERS["hazard.closed"] = function(d)
  return "隐患已销号", false, { { "隐患等级", GRADES[d.grade] }, { "来源", SOURCES[d.source] },
                               { "发现日期", text(d.found_on) }, { "销号日期", text(d.closed_on) } }, nil
end

HANDLERS["rectification.transitioned"] = function(d)
  local r = tbl(d.rectification)
  local wf = WORKFLOWS[r.workflow] or text(r.workflow) or "整改"
  local step = tbl(tbl(STEPS[r.workflow])[d.action])
  local title = step[1] or (wf .. "：" .. (text(d.action) or "进展"))
  local deadline = text(d.deadline) or text(r.deadline)
  local facts = { { wf == "安全监察指令书" and "指令书编号" or "编号", text(r.directive_number) },
                  { "当前状态", STATES[d.to] or text(d.to) }, { "整改期限", deadline },
                  { "意见", text(d.opinion) }, { "说明", d.action ~= "propose" and text(d.note) or nil } }
  local next_step = step[2] and step[2]:gsub("{期限}", deadline and ("于 " .. deadline .. " 前") or "在期限内")
  return title, r.workflow == "listed_supervision" and d.action ~= "decline" and d.action ~= "delist", facts, next_step
end

HANDLERS["rectification.overdue"] = function(d)
  local r = tbl(d.rectification)
  local wf = WORKFLOWS[r.workflow] or text(r.workflow) or "整改"
  return "整改已逾期", true, { { "事项", wf .. (text(r.directive_number) and (" " .. text(r.directive_number)) or "") },
                               { "逾期环节", STATES[d.state] or text(d.state) }, { "应完成日期", text(d.due_on) } },
         "该环节已超过期限，请监管部门督促办理；逾期未整改的隐患将按规定升级。"
end

HANDLERS["inspection.recorded"] = function(d)
  local i = tbl(d.inspection)
  local failed = i.passed == false
  local facts = { { "检验类别", KINDS[i.kind] or text(i.kind) }, { "检验结论", text(i.conclusion_text) },
                  { "检验日期", text(i.inspected_on) }, { "报告编号", text(i.report_number) },
                  { "检验机构", text(i.agency_name) }, { "更正", i.amends and "本报告为对原报告的更正" or nil },
                  { "下次检验", text(d.next_due) and (text(d.next_due) .. "（" .. (KINDS[d.next_due_kind] or "检验") .. "）") } }
  if failed then
    return "检验结论不合格", true, facts, "不合格的设备不得继续使用，请使用单位立即停止使用、整改并申请复检。"
  end
  return "检验结果已录入", false, facts, nil
end

HANDLERS["equipment.due_changed"] = function(d)
  local x = tbl(d.explain)
  local due = text(d.next_due)
  if not due then
    return "下次检验日期变更：目前无待检项目", false, {}, nil
  end
  local kind, ask = d.next_due_kind, text(x.request_by)
  local own = kind == "self_test" or kind == "annual_check"
  return "下次检验日期变更", false, { { "检验类别", KINDS[kind] or "检验" }, { "下次检验日期", due },
                                      { "申请期限", not own and ask or nil } },
         own and ("请使用单位于 " .. due .. " 前" .. due_action(kind) .. "。")
         or ("请使用单位" .. (ask and ("于 " .. ask .. " 前") or "在检验有效期届满前 1 个月") .. due_action(kind) .. "，"
             .. due .. " 前完成。")
end

local function equipment_facts(d)
  local e = tbl(d.equipment)
  return { { "设备状态", STATUSES[e.status] or text(e.status) or STATUSES[d.to_status] },
           { "原因", d.action ~= "register" and text(d.reason) or nil }, { "下次检验日期", text(e.next_due) } }
end

HANDLERS["equipment.registered"] = function(d)
  local pending = tbl(d.equipment).status == "pending" or d.to_status == "pending"
  return pending and "设备使用登记申请已提交" or "设备已注册（使用登记）", false, equipment_facts(d),
         pending and "请登记机关审核。" or nil
end

HANDLERS["equipment.transitioned"] = function(d)
  local what = EQ_ACTIONS[d.action] or text(d.action) or "变更"
  local next_step = d.action == "scrap" and "请使用单位消除设备使用功能，并在 30 日内办理注销登记。"
               or d.action == "suspend" and "请使用单位设置停用标志；重新启用前按规定办理启用手续。"
               or nil
  return "设备变更：" .. what, false, equipment_facts(d), next_step
end

local function import_facts(d)
  local file = text(d.file)
  return { { "文件", file and file:match("[^/]*$") }, { "行数", text(d.rows) }, { "已导入", text(d.imported) },
           { "未导入", text(d.rejected) } }
end

HANDLERS["equipment.imported"] = function(d)
  return "设备台账已导入", (tonumber(d.rejected) or 0) > 0, import_facts(d), nil
end

HANDLERS["organization.imported"] = function(d)
  return "单位名录已导入", (tonumber(d.rejected) or 0) > 0, import_facts(d), nil
end

HANDLERS["organization.registered"] = function(d)
  return "单位已登记", false, { { "单位名称", text(d.name) }, { "单位类型", ORG_KINDS[d.kind] or text(d.kind) },
                                { "统一社会信用代码", text(d.credit_code) } }, nil
end

HANDLERS["organization.renamed"] = function(d)
  return "使用单位更名", false, { { "原名称", text(d.from) }, { "新名称", text(d.to) },
                                  { "统一社会信用代码", text(d.credit_code) }, { "原因", text(d.reason) } },
         "请使用单位为其名下设备办理使用单位更名的变更登记。"
end

HANDLERS["accreditation.granted"] = function(d)
  local from, to = text(d.valid_from), text(d.valid_to)
  return "检验机构已获核准", false, { { "检验机构", text(tbl(d.subject).user_unit_name) },
                                      { "设备类型", TYPES[d.equipment_type] or text(d.equipment_type) },
                                      { "品种", type(d.varieties) == "table" and names(d.varieties, {}) or "全部" },
                                      { "有效期", from and to and (from .. " 至 " .. to) } }, nil
end

HANDLERS["delivery.failed"] = function(d)
  return "通知投递失败", true, { { "订阅编号", text(d.subscription_id or d.subscription) },
                                 { "接收地址", text(d.url) },
                                 { "通知类型", EVENTS[d.event_type] or text(d.event_type) },
                                 { "尝试次数", text(d.attempts) },
                                 { "最后回答", math.type(d.last_status) == "integer" and ("HTTP " .. text(d.last_status)) or nil },
                                 { "最后错误", text(d.last_error) } },
         "请检查该订阅的接收地址和群机器人设置，修正后补发。"
end

HANDLERS["subscription.disabled"] = function(d)
  return "订阅已停用", true, { { "订阅编号", text(d.subscription_id or d.subscription) }, { "原因", text(d.reason) } },
         "停用期间不再发送通知；如需继续接收，请修正后重新启用。"
end

HANDLERS["subscription.ping"] = function()
  return "这是一条测试消息", false, {}, "收到本消息说明订阅配置正确，无需处理。"
end

-- What the notice is about, from the subject the core adds (or, failing it, the payload).
local function unit_facts(d, type)
  local s = tbl(d.subject)
  local about_org = type:match("^organization%.") or type:match("^accreditation%.")
  local e = tbl(s.equipment)
  local de = tbl(d.equipment)
  local unit = text(s.user_unit_name) or text(de.user_unit_name)
  local code = text(s.user_unit) or text(de.user_unit)
  local place = text(s.jurisdiction_name) or text(de.jurisdiction_name)
  local place_code = text(s.jurisdiction) or text(de.jurisdiction)
  local kind = e.type or de.type
  return { { "设备类别", TYPES[kind] or text(kind) },
           { "使用登记证编号", text(e.registration_number) or text(de.registration_number) or text(tbl(d.hazard).registration_number)
                              or text(d.registration_number) },
           { "设备代码", text(e.equipment_code) or text(de.equipment_code) },
           { "地址", text(e.address) or text(de.address) },
           { "使用单位", not about_org and (unit and code and (unit .. "（" .. code .. "）") or unit or code) or nil },
           { "辖区", place and place_code and (place .. "（" .. place_code .. "）") or place or place_code } }
end

local function generic(d, e)
  return "安全监察通知（" .. (text(e.type) or "未知事件") .. "）", false, { { "事件类型", text(e.type) } }, nil
end

return sereg.notice_format {
  name = "dingtalk",
  title = "钉钉自定义机器人",
  version = "1.0.0",
  render = function(event)
    local d = tbl(event.data)
    local title, warn, facts, next_step = (HANDLERS[event.type] or generic)(d, event)
    local mark = warn and "【警示】" or ""
    local lines = { "#### " .. mark .. title, "" }
    for _, list in ipairs({ facts, unit_facts(d, tostring(event.type)) }) do
      for _, f in ipairs(list) do
        if f[2] then
          lines[#lines + 1] = "- **" .. f[1] .. "**：" .. f[2]
        end
      end
    end
    if next_step then
      lines[#lines + 1] = ""
      lines[#lines + 1] = "> 请办理：" .. next_step
    end
    lines[#lines + 1] = ""
    lines[#lines + 1] = "特种设备安全监察 · " .. (beijing(event.timestamp) or "") .. " · " .. (text(event.id) or "")
    local body = table.concat(lines, "\n")
    if #body > MAX_TEXT then
      body = cut(body, MAX_TEXT - 3)
    end
    return { msgtype = "markdown", markdown = { title = cut(mark .. "特种设备：" .. title, MAX_TITLE), text = body } }
  end,
}
