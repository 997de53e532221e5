// lists.js -- the lists of units, hazards and rectifications with the API's search, filters,
// sort and keyset paging, each with its export (format=csv|xlsx). The filters live in the hash
// (#/units?overdue=true), so that a list can be linked to, bookmarked and gone back to.
import { get, qs } from './api.js';
import { h, table, field, link } from './dom.js';
import { label, options, num, hazardWhy } from './labels.js';

let jurisdictions = null;
export async function jurisdictionOptions(me) {
  if (me.role === 'district_supervisor' || me.role === 'coordinator') return null; // its own only
  if (!jurisdictions) {
    const { items } = await get('/jurisdictions');
    jurisdictions = items.filter(j => j.current && j.kind !== 'city').map(j => [j.code, j.name]);
  }
  return [['', '全部辖区'], ...jurisdictions];
}

const yesNo = (yes, no) => [['', '全部'], ['true', yes], ['false', no]];

const KINDS = {
  units: {
    title: '设备', api: '/equipment',
    filters: async me => [
      { label: '搜索（设备代码、注册代码、地址、使用单位）', name: 'q', type: 'search', minlength: 2, maxlength: 100, wide: true },
      { label: '辖区', name: 'jurisdiction', options: await jurisdictionOptions(me) },
      { label: '设备类别', name: 'type', options: options('type') },
      { label: '状态', name: 'status', options: options('status') },
      { label: '超期', name: 'overdue', options: yesNo('已超期', '未超期') },
      { label: '即将到期（天内）', name: 'due_within_days', type: 'number', min: 0, max: 3650, inputmode: 'numeric' },
      { label: '排序', name: 'sort', options: [['', '默认'], ['next_due', '下次检验日期'], ['-next_due', '下次检验日期（倒序）'],
        ['registered', '登记时间'], ['-registered', '登记时间（倒序）'], ['equipment_code', '设备代码']] },
    ],
    columns: [
      { title: '设备代码', rowHeader: true, cell: u => link('#/unit/' + u.id, u.equipment_code) },
      { title: '使用登记证编号', cell: u => u.registration_number || '—' },
      { title: '类别', cell: u => label('type', u.type) },
      { title: '使用单位', cell: u => u.user_unit_name || u.user_unit },
      { title: '地址', cell: u => u.address },
      { title: '辖区', cell: u => u.jurisdiction_name || u.jurisdiction },
      { title: '状态', cell: u => label('status', u.status) },
      { title: '下次检验', cell: u => h('span', { class: u.next_due && u.next_due < today() && u.status === 'in_service' ? 'late' : null }, u.next_due || '—') },
    ],
  },
  hazards: {
    title: '隐患', api: '/hazards',
    filters: async me => [
      { label: '辖区', name: 'jurisdiction', options: await jurisdictionOptions(me) },
      { label: '等级', name: 'grade', options: options('grade') },
      { label: '层级', name: 'level', options: options('level') },
      { label: '状态', name: 'status', options: options('hazard_status') },
      { label: '来源', name: 'source', options: options('source') },
      { label: '整改逾期', name: 'overdue', options: yesNo('已逾期', '未逾期') },
      { label: '设备编号', name: 'equipment_id', type: 'number', min: 1, inputmode: 'numeric' },
    ],
    columns: [
      { title: '编号', rowHeader: true, cell: x => String(x.id) },
      { title: '设备', cell: x => link('#/unit/' + x.equipment_id, x.registration_number || ('设备 ' + x.equipment_id)) },
      { title: '等级', cell: x => h('span', { class: x.grade === 'major' ? 'major' : null }, label('grade', x.grade)) },
      { title: '层级', cell: x => label('level', x.level) },
      { title: '来源', cell: x => label('source', x.source) },
      { title: '状态', cell: x => label('hazard_status', x.status) },
      { title: '发现日期', cell: x => x.found_on },
      { title: '原因', cell: x => hazardWhy(x) },
    ],
  },
  rectifications: {
    title: '整改', api: '/rectifications',
    filters: async me => [
      { label: '类型', name: 'workflow', options: options('workflow') },
      { label: '状态', name: 'state', options: options('state') },
      { label: '是否办结', name: 'open', options: yesNo('办理中', '已办结') },
      { label: '超过整改期限', name: 'past_deadline', options: yesNo('已超期限', '未超期限') },
      { label: '辖区', name: 'jurisdiction', options: await jurisdictionOptions(me) },
      { label: '隐患编号', name: 'hazard_id', type: 'number', min: 1, inputmode: 'numeric' },
    ],
    columns: [
      { title: '编号', rowHeader: true, cell: r => link('#/rectification/' + r.id, String(r.id)) },
      { title: '文书编号', cell: r => r.directive_number || '—' },
      { title: '类型', cell: r => label('workflow', r.workflow) },
      { title: '状态', cell: r => label('state', r.state) },
      { title: '整改期限', cell: r => h('span', { class: r.deadline && r.deadline < today() && !r.closed_on ? 'late' : null }, r.deadline || '—') },
      { title: '开具日期', cell: r => r.opened_on },
      { title: '辖区', cell: r => r.jurisdiction },
    ],
  },
};

function today() { return new Date().toISOString().slice(0, 10); }

export async function listView(kind, ctx) {
  const k = KINDS[kind];
  const p = ctx.params;
  const specs = (await k.filters(ctx.me)).filter(s => s.options !== null);
  const filters = {};
  for (const s of specs) if (p.get(s.name)) filters[s.name] = p.get(s.name);
  const cursor = p.get('cursor') || '';
  const page = await get(k.api + qs({ ...filters, limit: 50, count: 'true', cursor }));

  const form = h('form', { class: 'filters', role: 'search', 'aria-label': k.title + '筛选' },
    specs.map(s => field({ ...s, value: filters[s.name] ?? '' })),
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, '查询'), ' ', h('a', { href: '#/' + kind, class: 'button secondary' }, '清除')));
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    const next = {};
    for (const s of specs) if (form.elements[s.name] && form.elements[s.name].value) next[s.name] = form.elements[s.name].value.trim();
    location.hash = '#/' + kind + qs(next);
  });
  // Paging: the cursor goes in the hash, the one before kept so that a page can be gone back to.
  const prev = p.get('prev');
  const back = cursor ? h('a', { href: '#/' + kind + qs({ ...filters, cursor: prev || '' }), class: 'button secondary' }, '上一页') : null;
  const next = page.next_cursor ? h('a', { href: '#/' + kind + qs({ ...filters, cursor: page.next_cursor, prev: cursor }), class: 'button secondary', rel: 'next' }, '下一页') : null;
  const exportQs = fmt => '/api/v1' + k.api.replace('/api/v1', '') + qs({ ...filters, format: fmt });
  // On a phone the filters fold away under their summary, which says how many are set, so that
  // the rows come first; on a wider screen they are open.
  const active = Object.keys(filters).length;
  const box = h('details', { class: 'filter-box', open: window.matchMedia('(min-width: 521px)').matches },
    h('summary', null, '筛选条件', active ? `（已选 ${active} 项）` : ''), form);
  return h('section', { class: 'list', 'data-kind': kind },
    h('h2', null, k.title + '列表'),
    box,
    h('p', { class: 'sub', 'data-total': String(page.total ?? '') }, '共 ', num(page.total), ' 条', cursor ? '（续页）' : ''),
    table(k.title + '列表', k.columns, page.items),
    h('nav', { class: 'pager', 'aria-label': '翻页' }, back, ' ', next),
    h('p', { class: 'exports' }, '导出全部筛选结果：',
      h('a', { href: exportQs('csv'), download: '' }, 'CSV'), ' · ', h('a', { href: exportQs('xlsx'), download: '' }, 'Excel')));
}
