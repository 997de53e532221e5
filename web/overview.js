// overview.js -- the figures of the caller's scope (GET /api/v1/figures): tiles,
// overdue units and open hazards by district as a bar chart with its table, twelve months of
// trends as a line chart with its table; each number links to the list that shows what it counts
// (docs/figures.md names each figure's list).
import { get, qs } from './api.js';
import { h, table, field, link } from './dom.js';
import { num, pct } from './labels.js';
import { jurisdictionOptions } from './lists.js';

// Each figure: its title, its value in F, and the list behind it for jurisdiction j (null: the
// whole scope), as docs/figures.md names it: exactly what the figure counts for the figures of
// units, hazards and rectifications as they are now; a rate or a count of the period has none
// (no list filters by the day a thing happened), registrations aside.
const within = j => (j ? { jurisdiction: j } : {});
const list = (kind, params) => j => '#/' + kind + qs({ ...within(j), ...params });
export const FIGURES = [
  { key: 'units_in_service', title: '在用设备', value: f => f.units_in_service.total, href: list('units', { status: 'in_service' }) },
  { key: 'overdue', title: '超期未检', value: f => f.overdue, href: list('units', { status: 'in_service', overdue: 'true' }), alert: true },
  { key: 'inspection_rate', title: '定期检验率', value: f => f.inspection.rate, rate: true,
    detail: f => `应检 ${num(f.inspection.fell_due)}，按期 ${num(f.inspection.on_time)}` },
  { key: 'hazards_found', title: '本期发现隐患', value: f => f.hazards_found.total,
    detail: f => `重大 ${num(f.hazards_found.by_grade.major)}，一般 ${num(f.hazards_found.by_grade.general)}` },
  { key: 'hazards_open', title: '未销号隐患', value: f => f.hazards_open, href: list('hazards', { status: 'open' }), alert: true },
  { key: 'hazards_major_open', title: '未销号重大隐患', value: f => f.hazards_major_open,
    href: list('hazards', { status: 'open', grade: 'major' }), alert: true },
  { key: 'hazard_closure', title: '隐患整改率', value: f => f.hazard_closure.rate, rate: true,
    detail: f => `发现 ${num(f.hazard_closure.found)}，销号 ${num(f.hazard_closure.closed)}` },
  { key: 'closed_on_time', title: '按期整改率', value: f => f.closed_on_time.rate, rate: true,
    detail: f => `销号 ${num(f.closed_on_time.closed)}，按期 ${num(f.closed_on_time.on_time)}` },
  { key: 'rectifications_open', title: '整改中', value: f => f.rectifications_open, href: list('rectifications', { open: 'true' }) },
  { key: 'rectifications_past_deadline', title: '逾期未整改', value: f => f.rectifications_past_deadline,
    href: list('rectifications', { past_deadline: 'true' }), alert: true },
  { key: 'listed_open', title: '挂牌督办中', value: f => f.listed_supervision.open,
    href: list('rectifications', { workflow: 'listed_supervision', open: 'true' }) },
  // No list filters by the day of registration: the units newest first show the period's (docs/figures.md).
  { key: 'registrations', title: '本期使用登记', value: f => f.registrations, href: list('units', { sort: '-registered' }) },
  { key: 'changes', title: '本期变更', value: f => f.changes },
  { key: 'cancellations', title: '本期注销', value: f => f.cancellations },
];

const show = (fig, f) => (fig.rate ? pct(fig.value(f)) : num(fig.value(f)));

// The number as a link to its list, or as text where there is none.
function figureLink(fig, f, j, attrs = {}) {
  const text = show(fig, f);
  return fig.href ? h('a', { href: fig.href(j), ...attrs }, text) : h('span', attrs, text);
}

function tiles(f, j) {
  return h('ul', { class: 'tiles', 'aria-label': '主要指标' }, FIGURES.map(fig => h('li', {
    class: 'tile' + (fig.alert && fig.value(f) > 0 ? ' alert' : ''), 'data-figure': fig.key,
  }, h('span', { class: 'tile-title' }, fig.title),
  figureLink(fig, f, j, { class: 'tile-value', 'data-value': String(fig.value(f) ?? '') }),
  fig.detail ? h('span', { class: 'tile-detail' }, fig.detail(f)) : null)));
}

// A chart of <datasets> over <labels>; bars across (horizontal) when <across>, so that the names
// of twenty-odd districts read, each row as tall as the table's beside it.
function chart(kind, caption, labels, datasets, across = false) {
  const canvas = h('canvas', { role: 'img', 'aria-label': caption + '（数据见下表）' });
  const box = h('div', { class: 'chart' + (across ? ' across' : ''), 'data-rows': String(labels.length) }, canvas);
  if (!window.Chart) return h('p', { class: 'msg info' }, '图表组件未安装（libjs-chart.js），以下为表格。');
  const colors = ['#c0392b', '#d68910', '#1f618d', '#117a65', '#6c3483'];
  // Drawn once the canvas is in the page, so that Chart.js measures its box.
  requestAnimationFrame(() => {
    if (!canvas.isConnected) return;
    new window.Chart(canvas, {
      type: kind,
      data: {
        labels,
        datasets: datasets.map((d, i) => ({ label: d.label, data: d.data, backgroundColor: colors[i], borderColor: colors[i], tension: 0.2 })),
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        indexAxis: across ? 'y' : 'x',
        plugins: { legend: { position: 'bottom' } },
        scales: across ? { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { ticks: { autoSkip: false } } }
          : { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  });
  return box;
}

function districtPart(answer) {
  const rows = answer.rows.filter(r => r.jurisdiction !== null);
  if (rows.length < 2 && answer.rows.length < 2) return null;
  const byCode = FIGURES.filter(f => ['overdue', 'hazards_open', 'hazards_major_open', 'rectifications_past_deadline'].includes(f.key));
  return h('section', { class: 'panel', 'aria-labelledby': 'by-district' },
    h('h3', { id: 'by-district' }, '各辖区超期未检与未销号隐患'),
    h('div', { class: 'chart-and-table' },
      chart('bar', '各辖区超期未检与未销号隐患', rows.map(r => r.name), [
        { label: '超期未检', data: rows.map(r => r.figures.overdue) },
        { label: '未销号隐患', data: rows.map(r => r.figures.hazards_open) },
      ], true),
      table('各辖区指标', [
        { title: '辖区', rowHeader: true, cell: r => (r.jurisdiction ? link('#/' + qs({ jurisdiction: r.jurisdiction, period: answer.period.label }), r.name) : r.name) },
        ...byCode.map(fig => ({ title: fig.title, num: true, cell: r => figureLink(fig, r.figures, r.jurisdiction, { 'data-figure': fig.key }) })),
        { title: '隐患整改率', num: true, cell: r => pct(r.figures.hazard_closure.rate) },
      ], answer.rows)));
}

function trendPart(answer, j) {
  const series = answer.series || [];
  if (!series.length) return null;
  const lines = [
    ['发现隐患', f => f.hazards_found.total], ['使用登记', f => f.registrations],
    ['应检设备', f => f.inspection.fell_due], ['按期检验', f => f.inspection.on_time],
  ];
  return h('section', { class: 'panel', 'aria-labelledby': 'trends' },
    h('h3', { id: 'trends' }, '近十二个月趋势'),
    h('div', { class: 'chart-and-table' },
      chart('line', '近十二个月趋势', series.map(s => s.period.label), lines.map(([t, v]) => ({ label: t, data: series.map(s => v(s.figures)) }))),
      table('近十二个月趋势', [
        { title: '月份', rowHeader: true, cell: s => link('#/' + qs({ ...within(j), period: s.period.label }), s.period.label) },
        ...lines.map(([t, v]) => ({ title: t, num: true, cell: s => num(v(s.figures)) })),
        { title: '定期检验率', num: true, cell: s => pct(s.figures.inspection.rate) },
        { title: '隐患整改率', num: true, cell: s => pct(s.figures.hazard_closure.rate) },
      ], series)));
}

function agencyPart(answer) {
  if (!answer.agencies || !answer.agencies.length) return null;
  return h('section', { class: 'panel', 'aria-labelledby': 'agencies' }, h('h3', { id: 'agencies' }, '检验机构上传结果'),
    table('检验机构上传结果', [
      { title: '检验机构', rowHeader: true, cell: a => a.name },
      { title: '上传结果', num: true, cell: a => num(a.results) },
      { title: '不合格', num: true, cell: a => num(a.failed) },
      { title: '不合格率', num: true, cell: a => pct(a.failure_rate) },
    ], answer.agencies));
}

function month(d) { return d.toISOString().slice(0, 7); }

export async function overview(ctx) {
  const p = ctx.params;
  const period = p.get('period') || '';
  const j = p.get('jurisdiction') || '';
  const supervisesAll = ctx.me.role === 'city_supervisor' || ctx.me.role === 'admin';
  const [answer, choices] = await Promise.all([get('/figures' + qs({ period, jurisdiction: j, series: 12 })),
    supervisesAll ? jurisdictionOptions(ctx.me) : null]);
  const scopeRow = answer.rows.find(r => r.jurisdiction === null) ||
    answer.rows.find(r => r.jurisdiction === (j || answer.scope.code)) || answer.rows[0];
  const scopeJ = scopeRow && scopeRow.jurisdiction;
  // The period and the jurisdiction are chosen in a form whose answer is a new hash.
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': '统计条件' },
    field({ label: '统计月份', name: 'period', type: 'month', value: /^\d{4}-\d{2}$/.test(answer.period.label) ? answer.period.label : month(new Date()) }),
    choices ? field({ label: '辖区', name: 'jurisdiction', value: j, options: [['', '全市'], ...choices.slice(1)] }) : null,
    h('button', { type: 'submit' }, '查看'));
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    location.hash = '#/' + qs({ period: form.period.value, jurisdiction: form.jurisdiction ? form.jurisdiction.value : j });
  });
  return h('section', { class: 'overview', 'data-scope': answer.scope.code },
    h('h2', null, answer.scope.name, ' · ', answer.period.label, ' 概览'),
    h('p', { class: 'sub' }, `统计期 ${answer.period.from} 至 ${answer.period.to}，截至 ${answer.as_of}`),
    form,
    scopeRow ? tiles(scopeRow.figures, scopeJ) : h('p', null, '无数据'),
    districtPart(answer),
    trendPart(answer, j || null),
    agencyPart(answer),
    h('p', { class: 'exports' }, '导出本页指标：',
      h('a', { href: '/api/v1/figures' + qs({ period, jurisdiction: j, format: 'csv' }), download: '' }, 'CSV'), ' · ',
      h('a', { href: '/api/v1/figures' + qs({ period, jurisdiction: j, series: 12, format: 'xlsx' }), download: '' }, 'Excel')));
}
