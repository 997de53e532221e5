// labels.js -- the Chinese for the codes the API answers (statuses, roles, kinds, states,
// actions). A code not listed is shown as it is.

const L = {
  role: {
    city_supervisor: '市级监察人员', district_supervisor: '区(市)县监察人员', agency: '检验检测机构',
    user_unit: '使用单位', coordinator: '质量安全协管员', admin: '系统管理员', system: '系统',
  },
  status: { pending: '待审批', in_service: '在用', suspended: '停用', scrapped: '报废', cancelled: '注销' },
  type: { elevator: '电梯', boiler: '锅炉', pressure_vessel: '压力容器' },
  grade: { general: '一般', major: '重大' },
  level: { district: '区级', city: '市级' },
  hazard_status: { open: '未整改', closed: '已销号' },
  source: { overdue: '超期未检', failed_in_use: '检验不合格仍在用', defect: '检验缺陷', patrol: '巡查发现', manual: '监察录入' },
  workflow: { rectification: '安全监察指令书', listed_supervision: '挂牌督办' },
  state: {
    issued: '已下达', acknowledged: '已签收', rectifying: '整改中', submitted: '已提交', verified: '已核查',
    closed: '已销号', proposed: '拟挂牌', listed: '已挂牌', declined: '不予挂牌', extension_requested: '申请延期',
    accepted: '已受理', delisted: '已摘牌',
  },
  action: {
    open: '开具', acknowledge: '签收', start: '开始整改', submit: '提交整改材料', verify: '核查通过', reject: '退回重改',
    close: '销号', list: '挂牌督办', decline: '不予挂牌', request_extension: '申请延期', grant_extension: '准予延期',
    refuse_extension: '不予延期', accept: '受理', send_back: '退回整改', delist: '摘牌',
    follow_transfer: '随过户转移', follow_relocation: '随移装转移',
    register: '使用登记', inspect: '检验', approve: '审批', suspend: '停用', resume: '启用', modify: '改造',
    relocate: '移装', transfer: '过户', rename: '更名', scrap: '报废', cancel: '注销',
  },
  requires: { note: '说明', opinion: '意见', deadline: '整改期限', evidence: '证明材料' },
  conclusion: { pass: '合格', fail: '不合格' },
  kind: { periodic: '定期检验', supervision: '监督检验', self_test: '自行检测', annual: '年度检查' },
};

export function label(kind, code) {
  if (code === null || code === undefined || code === '') return '—';
  return (L[kind] && L[kind][code]) || String(code);
}

export function options(kind, all = '全部') {
  return [['', all], ...Object.entries(L[kind])];
}

// A rate (0..1, or null) as a percentage.
export function pct(rate) {
  return rate === null || rate === undefined ? '—' : (Math.round(rate * 1000) / 10).toFixed(1) + '%';
}

export function num(n) {
  return n === null || n === undefined ? '—' : Number(n).toLocaleString('zh-CN');
}

// An RFC 3339 instant as a local date and time.
export function when(at) {
  if (!at) return '—';
  const d = new Date(at);
  if (isNaN(d)) return String(at);
  const p = n => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

// Why a hazard was opened, in words: the rule's reason, the reporter's description, or how long
// the unit is overdue.
export function hazardWhy(x) {
  const f = x.facts || {};
  if (f.reason) return f.reason;
  if (f.description) return f.description;
  if (x.source === 'overdue' && f.next_due) return `应于 ${f.next_due} 前检验，已超期 ${f.days_overdue ?? '—'} 天`;
  return x.condition || '—';
}
