// unit.js -- a unit's file (一梯一档): its record, lifecycle history, the due date and why,
// inspections, hazards with their "why", rectifications with their steps and evidence.
import { get, qs } from './api.js';
import { h, table, link } from './dom.js';
import { label, when, hazardWhy } from './labels.js';
import { steps } from './rectification.js';

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.map(([k, v]) => [h('dt', null, k), h('dd', null, v ?? '—')]));
}

function attrs(a) {
  const known = { rated_load_kg: '额定载重量 (kg)', rated_speed_mps: '额定速度 (m/s)', stops: '层站数', manufacturer: '制造单位',
    maintenance_unit: '维保单位', variety: '品种代码' };
  return Object.entries(a || {}).map(([k, v]) => [known[k] || k, typeof v === 'object' ? JSON.stringify(v) : String(v)]);
}

export async function unitFile(id, ctx) {
  // The record first: a unit the caller may not see is 404, and then nothing else is asked.
  const u = await get('/equipment/' + id);
  const [history, due, insp, hazards] = await Promise.all([
    get(`/equipment/${id}/history`), get(`/equipment/${id}/due`).catch(() => null),
    ctx.me.role === 'coordinator' ? Promise.resolve({ items: [] }) : get('/inspections' + qs({ equipment_id: id, limit: 100 })).catch(() => ({ items: [] })),
    ctx.me.role === 'agency' ? Promise.resolve({ items: [] }) : get('/hazards' + qs({ equipment_id: id, limit: 100 })),
  ]);
  // The rectifications of its hazards, each with its steps.
  const rectIds = new Set();
  if (ctx.me.role !== 'agency')
    for (const hz of hazards.items) {
      const { items } = await get('/rectifications' + qs({ hazard_id: hz.id, limit: 100 }));
      for (const r of items) rectIds.add(r.id);
    }
  const rects = await Promise.all([...rectIds].sort((a, b) => a - b).map(r => get('/rectifications/' + r)));

  return h('section', { class: 'unit', 'data-id': String(u.id) },
    h('h2', null, label('type', u.type), ' ', u.registration_number || u.equipment_code, ' 档案'),
    h('div', { class: 'two' },
      h('section', { class: 'panel' }, h('h3', null, '基本信息'), facts([
        ['设备代码', u.equipment_code], ['使用登记证编号', u.registration_number], ['类别', label('type', u.type)],
        ['状态', label('status', u.status)], ['使用单位', u.user_unit_name], ['统一社会信用代码', u.user_unit],
        ['地址', h('span', { class: 'address' }, u.address)], ['辖区', u.jurisdiction_name || u.jurisdiction],
        ['投用日期', u.commissioned_on], ...attrs(u.attributes),
      ])),
      h('section', { class: 'panel' }, h('h3', null, '下次检验'), due ? facts([
        ['下次检验日期', h('span', { class: due.overdue ? 'late' : null }, due.next_due)],
        ['剩余天数', due.days_left === null || due.days_left === undefined ? '—' : (due.days_left < 0 ? `已超期 ${-due.days_left} 天` : `${due.days_left} 天`)],
        ['应在此前申请', due.request_by], ['依据', due.reason], ['规则', due.rule], ['计算日期', due.computed_on],
      ]) : h('p', null, '无到期信息。'))),
    h('section', { class: 'panel' }, h('h3', null, '隐患'), table('隐患', [
      { title: '编号', rowHeader: true, cell: x => String(x.id) },
      { title: '等级', cell: x => label('grade', x.grade) }, { title: '层级', cell: x => label('level', x.level) },
      { title: '来源', cell: x => label('source', x.source) }, { title: '状态', cell: x => label('hazard_status', x.status) },
      { title: '发现日期', cell: x => x.found_on }, { title: '为何判定', cell: x => hazardWhy(x) },
    ], hazards.items)),
    h('section', { class: 'panel' }, h('h3', null, '整改'), rects.length ? rects.map(r => h('article', { class: 'card' },
      h('h4', null, link('#/rectification/' + r.id, label('workflow', r.workflow), ' ', r.directive_number || ('#' + r.id)),
        ' · ', label('state', r.state), r.deadline ? ' · 期限 ' + r.deadline : ''),
      steps(r.history))) : h('p', null, '无整改记录。')),
    h('section', { class: 'panel' }, h('h3', null, '检验记录'), table('检验记录', [
      { title: '检验日期', rowHeader: true, cell: i => i.inspected_on }, { title: '报告编号', cell: i => i.report_number },
      { title: '性质', cell: i => label('kind', i.kind) }, { title: '结论', cell: i => i.conclusion_text || label('conclusion', i.conclusion) },
      { title: '检验机构', cell: i => i.agency_name || i.agency }, { title: '检验员', cell: i => i.inspector || '—' },
    ], insp.items.slice().reverse())),
    h('section', { class: 'panel' }, h('h3', null, '生命周期'), table('生命周期', [
      { title: '时间', rowHeader: true, cell: e => when(e.at) }, { title: '事项', cell: e => label('action', e.action) || e.kind },
      { title: '办理人', cell: e => label('role', e.actor_role) }, { title: '原因', cell: e => e.reason || '—' },
    ], history.items.slice().reverse())));
}
