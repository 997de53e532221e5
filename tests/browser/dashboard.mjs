// dashboard.mjs -- the dashboard in a real browser: Debian's chromium, headless, driven by
// playwright-core. tests/integration/test_dashboard.py builds the city, starts sereg and runs
// this with the path of a JSON plan: {base, chromium, artifacts, node_modules, accounts: {role:
// {account, password, me}}, world: {...ids}}. Each check asserts on
// what the page shows, so that a page that loads but shows the wrong thing fails. The first
// failure ends the run with its message and status 1.
import { createRequire } from 'node:module';
import { readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const require = createRequire(path.join(plan.node_modules, 'x.js'));
const { chromium } = require('playwright-core');
mkdirSync(plan.artifacts, { recursive: true });

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'";
const W = plan.world;
const log = (...a) => console.log(...a);

const browser = await chromium.launch({
  executablePath: plan.chromium, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--lang=zh-CN'],
});

// Everything one page should never do, collected for the checks at the end.
const faults = { dialogs: [], csp: [], errors: [] };

// A browser context for <role> at <viewport>, with the listeners that collect faults.
async function contextFor(role, viewport = { width: 1366, height: 768 }) {
  const ctx = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: false });
  const who = plan.accounts[role];
  await ctx.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
  });
  const page = await ctx.newPage();
  page.on('dialog', d => { faults.dialogs.push(role + ': ' + d.message()); d.dismiss(); });
  page.on('console', m => { if (/Content.Security.Policy|Refused to/i.test(m.text())) faults.csp.push(role + ': ' + m.text()); });
  page.on('pageerror', e => faults.errors.push(role + ': ' + e.message));
  return { ctx, page, who };
}

// Signs in from the login form with the keyboard only: the account field is reached with Tab.
async function signIn(page, who) {
  const resp = await page.goto(plan.base + '/');
  assert.equal(resp.status(), 200, 'GET / answers 200');
  const csp = resp.headers()['content-security-policy'] || '';
  assert.ok(csp.startsWith(CSP) && csp.includes("frame-ancestors 'none'"), 'the page has its CSP: ' + csp);
  await page.waitForSelector('#login:not([hidden])');
  let reached = false;
  for (let i = 0; i < 12 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement && document.activeElement.id === 'login-account');
  }
  // The login form's own focus (the page puts it there) counts as reached too.
  reached ||= await page.evaluate(() => document.activeElement.id === 'login-account');
  assert.ok(reached, 'the keyboard reaches the account field');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'the focused field shows its focus');
  await page.keyboard.type(who.account);
  await page.keyboard.press('Tab');
  await page.keyboard.type(who.password);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#who .who-name');
  assert.equal(await page.textContent('#who .who-name'), who.me.name, 'the header names who signed in');
}

async function shot(page, name) {
  await page.waitForTimeout(150); // the charts draw on the next frame
  await page.screenshot({ path: path.join(plan.artifacts, name + '.png'), fullPage: true });
}

async function api(page, p) {
  return page.evaluate(async p => {
    const r = await fetch('/api/v1' + p, { headers: { Accept: 'application/json' } });
    return { status: r.status, body: await r.json().catch(() => null) };
  }, p);
}

const fmt = n => Number(n).toLocaleString('zh-CN');
const pct = r => (r === null ? '—' : (Math.round(r * 1000) / 10).toFixed(1) + '%');

// ---- the city: the overview equals /api/v1/figures, a district, a list, a unit's file ----
async function city() {
  const { ctx, page, who } = await contextFor('city_supervisor');
  await signIn(page, who);
  await page.waitForSelector('.overview .tiles');
  // What the overview costs a fresh page of a signed-in session (printed, not asserted).
  await page.reload();
  await page.waitForSelector('.overview .tiles');
  const cost = await page.evaluate(() => ({
    ms: Math.round(performance.now()),
    files: performance.getEntriesByType('resource').filter(e => e.name.includes('/assets/')).length,
    api: performance.getEntriesByType('resource').filter(e => e.name.includes('/api/v1/')).map(e => new URL(e.name).pathname + ' ' + Math.round(e.duration) + ' ms'),
  }));
  log(`     overview of the city: tiles after ${cost.ms} ms, ${cost.files} files, API: ${cost.api.join(', ')}`);
  const figures = (await api(page, '/figures?series=12')).body;
  const total = figures.rows.find(r => r.jurisdiction === null);
  assert.ok(total, 'the city sees the total row');
  const tiles = {
    overdue: total.figures.overdue, hazards_open: total.figures.hazards_open, hazards_major_open: total.figures.hazards_major_open,
    rectifications_open: total.figures.rectifications_open, units_in_service: total.figures.units_in_service.total,
    rectifications_past_deadline: total.figures.rectifications_past_deadline, listed_open: total.figures.listed_supervision.open,
  };
  for (const [key, want] of Object.entries(tiles))
    assert.equal(await page.textContent(`.tile[data-figure="${key}"] .tile-value`), fmt(want), 'tile ' + key);
  assert.equal(await page.textContent('.tile[data-figure="hazard_closure"] .tile-value'), pct(total.figures.hazard_closure.rate), 'closure rate');
  // The district table: one row per district then the total, each number as the answer has it.
  const rows = await page.$$eval('#by-district ~ .chart-and-table tbody tr', trs => trs.map(tr => ({
    name: tr.querySelector('th').textContent,
    overdue: tr.querySelector('[data-figure="overdue"]').textContent,
    hazards_open: tr.querySelector('[data-figure="hazards_open"]').textContent,
  })));
  assert.deepEqual(rows, figures.rows.map(r => ({ name: r.name, overdue: fmt(r.figures.overdue), hazards_open: fmt(r.figures.hazards_open) })), 'the district table');
  const months = await page.$$eval('#trends ~ .chart-and-table tbody tr th', ths => ths.map(t => t.textContent));
  assert.deepEqual(months, figures.series.map(s => s.period.label), 'twelve months of trends');
  assert.equal(await page.locator('.overview canvas').count(), 2, 'two charts are drawn');
  await shot(page, 'city-overview-1366');

  // A district: its name in the table leads to its own overview.
  const a = figures.rows.find(r => r.jurisdiction === W.district_a);
  await page.click(`#by-district ~ .chart-and-table tbody th a:text-is("${a.name}")`);
  await page.waitForFunction(j => location.hash.includes('jurisdiction=' + j) && document.querySelector('.overview h2'), W.district_a);
  await page.waitForFunction(n => document.querySelector('.overview h2')?.textContent.includes(n), a.name);
  assert.equal(await page.textContent('.tile[data-figure="overdue"] .tile-value'), fmt(a.figures.overdue), "the district's overdue tile");
  assert.equal(await page.inputValue('select[name="jurisdiction"]'), W.district_a, 'the district is chosen');
  assert.equal(await page.locator('.tile a').count(), 8, 'eight tiles link to their lists');
  // Each linked tile opens the list of what it counts: the list's total is the tile's number.
  for (const [key, want] of Object.entries(tiles)) {
    await page.goto(plan.base + '/#/');
    const link = page.locator(`.tile[data-figure="${key}"] a`);
    if (!(await link.count())) continue;
    await link.click();
    await page.waitForSelector('.list .sub[data-total]');
    assert.equal(Number(await page.getAttribute('.list .sub', 'data-total')), want, `the list behind ${key}`);
  }
  // A list: the overdue tile of the city opens the units overdue, as many as the API counts.
  await page.goto(plan.base + '/#/');
  await page.click('.tile[data-figure="overdue"] a');
  await page.waitForSelector('.list[data-kind="units"] tbody');
  const listed = await page.getAttribute('.list .sub', 'data-total');
  const want = (await api(page, '/equipment?status=in_service&overdue=true&count=true&limit=1')).body.total;
  assert.equal(Number(listed), want, 'the overdue list counts what the API counts');
  assert.equal(Number(listed), total.figures.overdue, 'the overdue list counts what the tile says');
  // Keyboard: from the search box, Tab reaches the rows' links.
  await page.focus('.filters select[name="jurisdiction"]');
  let inTable = false;
  for (let i = 0; i < 30 && !inTable; i++) {
    await page.keyboard.press('Tab');
    inTable = await page.evaluate(() => !!document.activeElement.closest('tbody') && document.activeElement.tagName === 'A');
  }
  assert.ok(inTable, 'the keyboard reaches the list rows');
  await shot(page, 'city-list-1366');
  // Search and filter in the list, with its export links.
  await page.goto(plan.base + '/#/units?q=' + encodeURIComponent(W.search));
  await page.waitForSelector('.list tbody td');
  const codes = await page.$$eval('.list tbody th a', as => as.map(a => a.textContent));
  assert.ok(codes.includes(W.xss_code), 'the search finds the unit: ' + codes);
  const exp = await page.getAttribute('.list .exports a:text-is("CSV")', 'href');
  assert.ok(exp.startsWith('/api/v1/equipment?') && exp.includes('format=csv') && exp.includes('q='), 'the export keeps the filters: ' + exp);
  // The export links give the files, through the session as the page has it.
  for (const fmt of ['CSV', 'Excel']) {
    const href = await page.getAttribute(`.list .exports a:text-is("${fmt}")`, 'href');
    const got = await page.evaluate(async h => {
      const r = await fetch(h);
      const b = new Uint8Array(await r.arrayBuffer());
      return { status: r.status, type: r.headers.get('content-type'), head: [...b.slice(0, 4)], disposition: r.headers.get('content-disposition') };
    }, href);
    assert.equal(got.status, 200, fmt + ' export');
    assert.ok(/attachment/.test(got.disposition || ''), fmt + ' is an attachment');
    if (fmt === 'CSV') assert.deepEqual(got.head.slice(0, 3), [0xef, 0xbb, 0xbf], 'the CSV has its BOM');
    else assert.deepEqual(got.head, [0x50, 0x4b, 0x03, 0x04], 'the xlsx is a zip');
  }
  await page.goto(plan.base + '/#/');
  await page.waitForSelector('.overview .exports a');
  for (const fmt of ['CSV', 'Excel']) {
    const href = await page.getAttribute(`.overview .exports a:text-is("${fmt}")`, 'href');
    const status = await page.evaluate(async h => (await fetch(h)).status, href);
    assert.equal(status, 200, 'the figures as ' + fmt + ': ' + href);
  }
  await page.goto(plan.base + '/#/units?q=' + encodeURIComponent(W.search));
  await page.waitForSelector('.list tbody td');
  // A unit's file from the list.
  await page.click(`.list tbody th a:text-is("${W.xss_code}")`);
  await page.waitForSelector('.unit h2');
  await xssIsText(page);
  for (const h of ['基本信息', '下次检验', '隐患', '整改', '检验记录', '生命周期'])
    assert.ok(await page.locator(`.unit h3:text-is("${h}")`).count() === 1, 'the file has ' + h);
  const reports = await page.$$eval('.unit section:has(> h3:text-is("检验记录")) tbody td', tds => tds.map(t => t.textContent));
  assert.ok(reports.includes(W.report), 'the file lists its inspection: ' + reports);
  assert.ok((await page.textContent('.unit')).includes('层门门锁失效'), 'the hazard says why');
  await shot(page, 'city-unit-1366');
  // The city's to-do: the major hazards proposed for 挂牌督办, with the city's actions.
  await page.goto(plan.base + '/#/todo');
  await page.waitForSelector('#proposed');
  assert.ok(await page.locator('#proposed ~ .cards [data-action="list"]').count() >= 1, 'a proposal to list');
  // The city lists it from the page, with its opinion and deadline.
  const listing = `.card[data-rectification="${W.listing}"] form[data-action="list"]`;
  await page.fill(listing + ' textarea[name="opinion"]', '重大隐患，挂牌督办');
  await page.fill(listing + ' input[name="deadline"]', '2099-06-30');
  await page.click(listing + ' button');
  await page.waitForSelector('#status .msg.ok:has-text("挂牌督办已办理")');
  const proposal = (await api(page, '/rectifications/' + W.listing)).body;
  assert.deepEqual([proposal.state, proposal.deadline], ['listed', '2099-06-30'], 'listed from the page');
  await shot(page, 'city-todo-1366');
  await csp(page);
  await ctx.close();
}

// The XSS address of the world renders as its characters, and nothing ran.
async function xssIsText(page) {
  assert.equal((await page.textContent('.unit .address')), W.xss_address, 'the address is shown as text');
  assert.equal(await page.locator('main img').count(), 0, 'no image was made from the address');
  assert.deepEqual(faults.dialogs, [], 'no dialog');
}

async function csp(page) {
  assert.deepEqual(await page.evaluate(() => window.__csp), [], 'no CSP violation');
}

// ---- a user unit: acknowledges its directive, starts and submits evidence from the page ----
async function userUnit() {
  const { ctx, page, who } = await contextFor('user_unit');
  await signIn(page, who);
  await page.waitForSelector('.todo');
  {
    // The session's cookie is out of the page's reach, and a change without the CSRF token is
    // refused: the page's own changes below carry it.
    assert.ok(!(await page.evaluate(() => document.cookie)).includes('sereg_session'), 'the cookie is HttpOnly');
    const forged = await page.evaluate(async id => (await fetch(`/api/v1/rectifications/${id}/transitions`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'If-Match': '"1"' }, body: JSON.stringify({ action: 'acknowledge' }),
    })).status, W.directive);
    assert.equal(forged, 403, 'a change without X-CSRF-Token is refused');
  }
  const card = `.card[data-rectification="${W.directive}"]`;
  await page.waitForSelector(card);
  assert.equal(await page.textContent(card + ' [data-state]'), '已下达', 'the directive is issued');
  await shot(page, 'user-todo-1366');
  await page.click(card + ' form[data-action="acknowledge"] button');
  await page.waitForFunction(s => document.querySelector(s + ' [data-state]')?.dataset.state === 'acknowledged', card);
  await page.click(card + ' form[data-action="start"] button');
  await page.waitForFunction(s => document.querySelector(s + ' [data-state]')?.dataset.state === 'rectifying', card);
  const form = card + ' form[data-action="submit"]';
  await page.fill(form + ' textarea[name="note"]', '门锁已更换，附照片');
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
    '1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef0000000049454e44ae426082', 'hex');
  await page.setInputFiles(form + ' input[type="file"]', { name: '整改照片.png', mimeType: 'image/png', buffer: png });
  await page.click(form + ' button');
  await page.waitForSelector('#status .msg.ok:has-text("提交整改材料已办理")');
  const r = (await api(page, '/rectifications/' + W.directive)).body;
  assert.equal(r.state, 'submitted', 'the directive is submitted');
  const step = r.history[r.history.length - 1];
  assert.equal(step.action, 'submit');
  assert.equal(step.evidence.length, 1, 'the evidence is cited');
  assert.equal(step.evidence[0].name, '整改照片.png');
  await csp(page);
  await ctx.close();
  // At a phone's width.
  const phone = await contextFor('user_unit', { width: 390, height: 844 });
  await signIn(phone.page, phone.who);
  await phone.page.goto(plan.base + '/#/rectification/' + W.directive);
  await phone.page.waitForSelector('.rectification h2');
  const width = await phone.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, 'nothing is wider than the phone: ' + width);
  await shot(phone.page, 'user-rectification-390');
  await phone.ctx.close();
}

// ---- a district supervisor: its overview, and another district's unit refused ----
async function district() {
  const { ctx, page, who } = await contextFor('district_supervisor');
  await signIn(page, who);
  await page.waitForSelector('.overview .tiles');
  const figures = (await api(page, '/figures')).body;
  assert.deepEqual(figures.rows.map(r => r.jurisdiction), [W.district_a], 'the district sees itself only');
  assert.equal(await page.textContent('.tile[data-figure="overdue"] .tile-value'), fmt(figures.rows[0].figures.overdue), 'its overdue tile');
  await page.goto(plan.base + '/#/unit/' + W.unit_b);
  await page.waitForSelector('.refused');
  const text = await page.textContent('main');
  assert.ok(text.includes('无权查看'), 'the refusal is said');
  for (const secret of W.unit_b_secrets) assert.ok(!text.includes(secret), 'nothing of the other unit is shown: ' + secret);
  await shot(page, 'district-refused-1366');
  await page.goto(plan.base + '/#/todo');
  await page.waitForSelector('#verify');
  // The submission is verified and closed (销号) from the page.
  const card = `.card[data-rectification="${W.directive}"]`;
  await page.waitForSelector(card + ' form[data-action="verify"]');
  // The submission's evidence is there to be looked at before it is verified.
  const evidence = card + ' .last-step .evidence a';
  assert.equal(await page.textContent(evidence), '整改照片.png', 'the submitted evidence is shown');
  const photo = await page.evaluate(async h => { const r = await fetch(h); return [r.status, r.headers.get('content-type')]; },
    await page.getAttribute(evidence, 'href'));
  assert.deepEqual(photo, [200, 'image/png'], 'the supervisor downloads the evidence');
  await shot(page, 'district-todo-1366');
  await page.fill(card + ' form[data-action="verify"] textarea[name="opinion"]', '现场核查合格');
  await page.click(card + ' form[data-action="verify"] button');
  await page.waitForSelector('#status .msg.ok:has-text("核查通过已办理")');
  await page.click(card + ' form[data-action="close"] button');
  await page.waitForSelector('#status .msg.ok:has-text("销号已办理")');
  // A hazard awaiting a directive gets one from the page, and leaves the list.
  const row = `#awaiting ~ .table-wrap tbody tr:has(th:text-is("${W.major}"))`;
  await page.waitForSelector(row);
  await page.fill(row + ' input[name="directive_number"]', '锦质监指〔2026〕测试002号');
  await page.fill(row + ' input[name="deadline"]', '2099-03-31');
  await page.click(row + ' button');
  await page.waitForSelector('#status .msg.ok:has-text("指令书已开具")');
  await page.waitForSelector(row, { state: 'detached' });
  const opened = (await api(page, '/rectifications?hazard_id=' + W.major + '&workflow=rectification')).body.items;
  assert.deepEqual(opened.map(r => [r.directive_number, r.deadline]), [['锦质监指〔2026〕测试002号', '2099-03-31']], 'the directive opened from the page');
  await csp(page);
  await ctx.close();
  const phone = await contextFor('district_supervisor', { width: 390, height: 844 });
  await signIn(phone.page, phone.who);
  await phone.page.waitForSelector('.overview .tiles');
  await shot(phone.page, 'district-overview-390');
  const width = await phone.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, 'the overview fits the phone: ' + width);
  await phone.page.goto(plan.base + '/#/hazards?status=open');
  await phone.page.waitForSelector('.list[data-kind="hazards"] tbody td');
  await shot(phone.page, 'district-hazards-390');
  const listWidth = await phone.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(listWidth <= 390, 'the list fits the phone (its table scrolls in its own box): ' + listWidth);
  await phone.ctx.close();
}

// ---- an agency: the units due in its accreditations; a wrong password is refused ----
async function agency() {
  const { ctx, page, who } = await contextFor('agency');
  await page.goto(plan.base + '/');
  await page.fill('#login-account', who.account);
  await page.fill('#login-password', 'wrong-' + who.password);
  await page.click('#login-form button');
  await page.waitForSelector('#login-error:not([hidden])');
  assert.ok((await page.textContent('#login-error')).includes('账号或密码错误'), 'a wrong password is refused');
  await signIn(page, who);
  await page.waitForSelector('.todo');
  const codes = await page.$$eval('.todo tbody th a', as => as.map(a => a.textContent));
  assert.ok(codes.includes(W.due_code), 'the agency sees the unit due: ' + codes);
  await shot(page, 'agency-todo-1366');
  await csp(page);
  await ctx.close();
}

// ---- signing out ----
async function logout() {
  const { ctx, page, who } = await contextFor('coordinator');
  await signIn(page, who);
  await page.click('#logout');
  await page.waitForSelector('#login:not([hidden])');
  const s = await api(page, '/session');
  assert.equal(s.status, 401, 'the session is gone');
  await ctx.close();
}

let status = 0;
try {
  for (const [name, fn] of [['city', city], ['user unit', userUnit], ['district', district], ['agency', agency], ['logout', logout]]) {
    await fn();
    log('ok   browser: ' + name);
  }
  assert.deepEqual(faults.dialogs, [], 'no dialog fired');
  assert.deepEqual(faults.csp, [], 'no CSP message in the console');
  assert.deepEqual(faults.errors, [], 'no script error');
} catch (e) {
  console.error('FAIL browser: ' + (e.stack || e));
  status = 1;
} finally {
  await browser.close();
}
process.exit(status);
