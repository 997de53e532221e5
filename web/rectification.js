// rectification.js -- one rectification (监察指令书 or 挂牌督办): its hazards, deadlines, steps
// with their evidence, and the actions the API says the caller may take now
// (allowed_actions), each a form asking for what the action requires. Evidence files are
// uploaded first (POST /api/v1/evidence) and cited in the step.
import { api, get, qs, ApiError } from './api.js';
import { h, table, field, link, say } from './dom.js';
import { label, when, hazardWhy } from './labels.js';

export function evidenceLinks(list) {
  if (!list || !list.length) return '—';
  return h('ul', { class: 'evidence' }, list.map(e => h('li', null,
    h('a', { href: '/api/v1/evidence' + qs({ sha256: e.sha256 }), download: e.name || '' }, e.name || e.sha256.slice(0, 12)))));
}

export function steps(history) {
  return table('办理过程', [
    { title: '时间', rowHeader: true, cell: s => when(s.at) },
    { title: '操作', cell: s => label('action', s.action) },
    { title: '状态', cell: s => (s.from ? label('state', s.from) + ' → ' : '') + label('state', s.to) },
    { title: '办理人', cell: s => label('role', s.actor_role) },
    { title: '说明 / 意见', cell: s => [s.note, s.opinion].filter(Boolean).join('；') || '—' },
    { title: '期限', cell: s => s.deadline || '—' },
    { title: '证明材料', cell: s => evidenceLinks(s.evidence) },
  ], history || []);
}

async function upload(file) {
  const { data } = await api('/evidence' + qs({ name: file.name }), { method: 'POST', file });
  return data;
}

// The forms of the actions <r> allows its caller; <done> is called with the rectification after
// a step.
export function actionForms(r, done) {
  const allowed = r.allowed_actions || [];
  if (!allowed.length) return h('p', { class: 'sub' }, '当前状态下您没有可办理的操作。');
  return h('div', { class: 'actions' }, allowed.map(a => {
    const req = a.requires || [];
    const form = h('form', { class: 'action', 'data-action': a.action, 'aria-label': label('action', a.action) },
      h('h4', null, label('action', a.action), ' → ', label('state', a.to)),
      req.includes('note') ? field({ label: '说明', name: 'note', type: 'textarea', required: true }) : null,
      req.includes('opinion') ? field({ label: '意见', name: 'opinion', type: 'textarea', required: true }) : null,
      req.includes('deadline') ? field({ label: '整改期限', name: 'deadline', type: 'date', required: true }) : null,
      req.includes('evidence') ? field({ label: '证明材料（照片或 PDF，可多选）', name: 'evidence', type: 'file', multiple: true,
        accept: 'image/jpeg,image/png,image/webp,application/pdf', required: true }) : null,
      h('button', { type: 'submit' }, label('action', a.action)));
    form.addEventListener('submit', async ev => {
      ev.preventDefault();
      const button = form.querySelector('button');
      button.disabled = true;
      try {
        const body = { action: a.action };
        for (const name of ['note', 'opinion', 'deadline'])
          if (form.elements[name]) {
            const v = form.elements[name].value.trim();
            if (!v) throw new ApiError(422, { detail: '请填写' + label('requires', name) + '。' });
            body[name] = v;
          }
        if (form.elements.evidence) {
          const files = [...form.elements.evidence.files];
          if (!files.length) throw new ApiError(422, { detail: '请选择证明材料。' });
          say('正在上传证明材料……');
          body.evidence = [];
          for (const f of files) body.evidence.push(await upload(f));
        }
        const { data } = await api(`/rectifications/${r.id}/transitions`, {
          method: 'POST', body, headers: { 'If-Match': `"${r.version}"` },
        });
        say(label('action', a.action) + '已办理，当前状态：' + label('state', data.state) + '。', 'ok');
        done(data);
      } catch (e) {
        say((e.status === 412 ? '记录已被他人更新，请刷新后重试。' : '办理失败：') + (e.describe ? e.describe() : e.message), 'error');
        button.disabled = false;
      }
    });
    return form;
  }));
}

// 'state:acknowledged@2' -> 已签收阶段期限; a rung or another kind as it is.
function deadlineKind(kind) {
  const m = /^state:([a-z_]+)@/.exec(kind || '');
  return m ? label('state', m[1]) + '阶段期限' : kind;
}

function deadlineOutcome(d) {
  if (!d.outcome) return '未到期';
  if (/^moot/.test(d.outcome)) return '按期办理（已离开该阶段）';
  return '已到期（' + d.fired_on + '）：' + d.outcome;
}

// The step the rectification is in now came by: who did it, what they said, what they cited
// (a supervisor verifies a submission from its evidence).
function lastStep(r) {
  const s = (r.history || [])[r.history.length - 1];
  if (!s) return [];
  const said = [s.note, s.opinion].filter(Boolean).join('；');
  return [h('dt', null, '最近办理'), h('dd', { class: 'last-step' }, label('action', s.action), '（', label('role', s.actor_role), ' ', when(s.at), '）',
    said ? '：' + said : '', s.evidence && s.evidence.length ? [' ', evidenceLinks(s.evidence)] : null)];
}

export function rectificationCard(r, done) {
  return h('article', { class: 'card', 'data-rectification': String(r.id) },
    h('h3', null, link('#/rectification/' + r.id, label('workflow', r.workflow), ' ', r.directive_number || ('#' + r.id))),
    h('dl', { class: 'facts' },
      h('dt', null, '状态'), h('dd', { 'data-state': r.state }, label('state', r.state)),
      h('dt', null, '整改期限'), h('dd', null, r.deadline || '—'),
      h('dt', null, '隐患'), h('dd', null, (r.hazards || []).map((x, i) => [i ? '；' : '',
        link('#/unit/' + x.equipment_id, x.registration_number || ('设备 ' + x.equipment_id)), ' ', label('grade', x.grade), '隐患：',
        hazardWhy(x)])),
      ...lastStep(r)),
    actionForms(r, done));
}

export async function rectificationView(id, ctx) {
  const r = await get('/rectifications/' + id);
  const section = h('section', { class: 'rectification', 'data-id': String(r.id) });
  const render = rec => {
    section.replaceChildren(
      h('h2', null, label('workflow', rec.workflow), ' ', rec.directive_number || ('#' + rec.id)),
      h('dl', { class: 'facts' },
        h('dt', null, '状态'), h('dd', { 'data-state': rec.state }, label('state', rec.state)),
        h('dt', null, '整改期限'), h('dd', null, rec.deadline || '—'),
        h('dt', null, '开具日期'), h('dd', null, rec.opened_on),
        h('dt', null, '使用单位'), h('dd', null, rec.user_unit),
        h('dt', null, '办结日期'), h('dd', null, rec.closed_on || '—')),
      h('h3', null, '涉及隐患'),
      table('涉及隐患', [
        { title: '编号', rowHeader: true, cell: x => String(x.id) },
        { title: '设备', cell: x => link('#/unit/' + x.equipment_id, x.registration_number || String(x.equipment_id)) },
        { title: '等级', cell: x => label('grade', x.grade) },
        { title: '原因', cell: x => hazardWhy(x) },
        { title: '状态', cell: x => label('hazard_status', x.status) },
      ], rec.hazards || []),
      h('h3', null, '期限'),
      table('期限', [
        { title: '事项', rowHeader: true, cell: d => deadlineKind(d.kind) },
        { title: '到期日', cell: d => d.due_on },
        { title: '结果', cell: d => deadlineOutcome(d) },
      ], rec.deadlines || []),
      h('h3', null, '办理过程'), steps(rec.history),
      h('h3', null, '办理'), actionForms(rec, render));
  };
  render(r);
  return section;
}
