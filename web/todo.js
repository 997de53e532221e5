// todo.js -- what each role has to do now: a user unit its directives to acknowledge, rectify and
// submit; a district supervisor the submissions to verify and the hazards awaiting a directive;
// the city the major hazards proposed for 挂牌督办; an agency the units falling due in its
// accreditations. The actions are the ones the API allows the caller (allowed_actions).
import { api, get, qs } from './api.js';
import { h, table, field, link, say } from './dom.js';
import { label, hazardWhy } from './labels.js';
import { rectificationCard } from './rectification.js';

// The open rectifications (of <params>) whose allowed actions are the caller's, in full.
async function actionable(params) {
  const { items } = await get('/rectifications' + qs({ open: 'true', limit: 100, ...params }));
  const full = await Promise.all(items.map(r => get('/rectifications/' + r.id)));
  return full.filter(r => (r.allowed_actions || []).length);
}

function cards(title, id, rects, refresh, empty) {
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h3', { id }, title, ' ', h('span', { class: 'count' }, `（${rects.length}）`)),
    rects.length ? h('div', { class: 'cards' }, rects.map(r => rectificationCard(r, refresh))) : h('p', { class: 'sub' }, empty));
}

// A district supervisor's directive (监察指令书) for an open hazard, from the page.
function directiveForm(hz, refresh) {
  const form = h('form', { class: 'action inline', 'aria-label': '开具指令书：隐患 ' + hz.id },
    field({ label: '指令书编号', name: 'directive_number', required: true, maxlength: 64 }),
    field({ label: '整改期限', name: 'deadline', type: 'date', required: true }),
    h('button', { type: 'submit' }, '开具指令书'));
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    try {
      await api('/rectifications', { method: 'POST', body: {
        hazard_ids: [hz.id], directive_number: form.directive_number.value.trim(), deadline: form.deadline.value } });
      say('指令书已开具。', 'ok');
      refresh();
    } catch (e) {
      say('开具失败：' + (e.describe ? e.describe() : e.message), 'error');
    }
  });
  return form;
}

async function awaitingDirective(refresh) {
  // The open hazards no open 监察指令书 covers, as the API finds them (the first 100, and how many in all).
  const hz = await get('/hazards' + qs({ without_open: 'rectification', limit: 100, count: 'true' }));
  const waiting = hz.items;
  return h('section', { class: 'panel', 'aria-labelledby': 'awaiting' }, h('h3', { id: 'awaiting' }, '待开具指令书的隐患', ' ', h('span', { class: 'count' }, `（${hz.total ?? waiting.length}）`)),
    table('待开具指令书的隐患', [
      { title: '编号', rowHeader: true, cell: x => String(x.id) },
      { title: '设备', cell: x => link('#/unit/' + x.equipment_id, x.registration_number || String(x.equipment_id)) },
      { title: '等级', cell: x => label('grade', x.grade) },
      { title: '原因', cell: x => hazardWhy(x) },
      { title: '开具指令书', cell: x => directiveForm(x, refresh) },
    ], waiting, '没有待开具指令书的隐患。'));
}

async function dueUnits() {
  const [overdue, soon] = await Promise.all([
    get('/equipment' + qs({ overdue: 'true', status: 'in_service', limit: 100, count: 'true' })),
    get('/equipment' + qs({ due_within_days: 60, status: 'in_service', limit: 100, count: 'true' })),
  ]);
  const cols = [
    { title: '设备代码', rowHeader: true, cell: u => link('#/unit/' + u.id, u.equipment_code) },
    { title: '使用登记证编号', cell: u => u.registration_number || '—' },
    { title: '使用单位', cell: u => u.user_unit_name },
    { title: '地址', cell: u => u.address },
    { title: '下次检验', cell: u => u.next_due },
  ];
  return [
    h('section', { class: 'panel' }, h('h3', null, '已超期（', String(overdue.total ?? overdue.items.length), '）'), table('已超期设备', cols, overdue.items)),
    h('section', { class: 'panel' }, h('h3', null, '六十天内到期（', String(soon.total ?? soon.items.length), '）'), table('六十天内到期设备', cols, soon.items)),
  ];
}

export async function todo(ctx) {
  const role = ctx.me.role;
  const section = h('section', { class: 'todo' }, h('h2', null, '待办'));
  const refresh = () => window.dispatchEvent(new Event('sereg:refresh'));
  if (role === 'user_unit') {
    section.append(cards('需要办理的整改', 'mine', await actionable({}), refresh, '没有需要您办理的整改。'));
  } else if (role === 'district_supervisor') {
    section.append(cards('待核查的整改材料', 'verify', await actionable({}), refresh, '没有待核查的整改。'));
    section.append(await awaitingDirective(refresh));
  } else if (role === 'city_supervisor') {
    section.append(cards('拟挂牌督办的重大隐患', 'proposed', await actionable({ workflow: 'listed_supervision', state: 'proposed' }), refresh, '没有拟挂牌督办的隐患。'));
    section.append(cards('其他待办', 'others', (await actionable({})).filter(r => r.state !== 'proposed'), refresh, '没有其他待办。'));
  } else if (role === 'agency') {
    section.append(h('p', { class: 'sub' }, '资质范围内的设备：'), ...(await dueUnits()));
  } else if (role === 'coordinator') {
    const hz = await get('/hazards' + qs({ status: 'open', limit: 100 }));
    section.append(h('section', { class: 'panel' }, h('h3', null, '辖区内未销号隐患'), table('辖区内未销号隐患', [
      { title: '编号', rowHeader: true, cell: x => String(x.id) },
      { title: '设备', cell: x => link('#/unit/' + x.equipment_id, x.registration_number || String(x.equipment_id)) },
      { title: '等级', cell: x => label('grade', x.grade) }, { title: '原因', cell: x => hazardWhy(x) },
    ], hz.items)));
  } else {
    section.append(h('p', { class: 'sub' }, '系统管理员没有业务待办。'));
  }
  return section;
}
