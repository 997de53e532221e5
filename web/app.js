// app.js -- the dashboard: who is signed in (GET /api/v1/session), the hash routes and the
// frame around each view. Everything from the API reaches the page as text (dom.js).
import { api, setCsrf, ApiError } from './api.js';
import { h, fill, say } from './dom.js';
import { label } from './labels.js';
import { overview } from './overview.js';
import { listView } from './lists.js';
import { unitFile } from './unit.js';
import { rectificationView } from './rectification.js';
import { todo } from './todo.js';

const state = { me: null };
export const session = () => state.me;

const $ = id => document.getElementById(id);

// The views each role has (agencies see no hazards or rectifications; the figures are the
// supervisors', the administrator's and a coordinator's).
function navFor(role) {
  const items = [['#/', '概览'], ['#/units', '设备'], ['#/hazards', '隐患'], ['#/rectifications', '整改'], ['#/todo', '待办']];
  if (role === 'agency') return items.filter(([href]) => href === '#/units' || href === '#/todo');
  if (role === 'user_unit') return items.filter(([href]) => href !== '#/');
  return items;
}

function home(role) { return role === 'agency' || role === 'user_unit' ? '#/todo' : '#/'; }

function showLogin(message) {
  state.me = null;
  setCsrf(null);
  $('nav').hidden = true;
  fill($('who'));
  fill($('view'));
  $('login').hidden = false;
  const err = $('login-error');
  err.hidden = !message;
  err.textContent = message || '';
  $('login-account').focus();
}

function showFrame(me) {
  state.me = me;
  $('login').hidden = true;
  const nav = $('nav');
  fill(nav, h('ul', null, navFor(me.role).map(([href, text]) => h('li', null, h('a', { href, 'data-route': href }, text)))));
  nav.hidden = false;
  const where = me.org ? me.org.name : me.jurisdiction_name || '';
  const out = h('button', { type: 'button', class: 'link-button', id: 'logout' }, '退出');
  out.addEventListener('click', logout);
  fill($('who'), h('span', { class: 'who-name' }, me.name), ' ',
    h('span', { class: 'who-role' }, label('role', me.role), where ? ' · ' + where : ''), ' ', out);
}

async function logout() {
  try { await api('/session', { method: 'DELETE' }); } catch (e) { /* signed out either way */ }
  location.hash = '#/';
  showLogin('已退出登录。');
}

async function login(ev) {
  ev.preventDefault();
  const form = ev.target;
  const account = form.account.value.trim(), password = form.password.value;
  if (!account || !password) { showLogin('请输入账号和密码。'); return; }
  const button = form.querySelector('button');
  button.disabled = true;
  try {
    const { data } = await api('/session', { method: 'POST', body: { account, password } });
    form.password.value = '';
    setCsrf(data.csrf_token);
    showFrame(data.account);
    if (!location.hash || location.hash === '#' || location.hash === '#/') location.hash = home(data.account.role);
    route();
  } catch (e) {
    form.password.value = '';
    showLogin(e instanceof ApiError && e.status === 401 ? '账号或密码错误，或账号已被锁定。' :
      e instanceof ApiError && e.status === 429 ? '尝试次数过多，请稍后再试。' : '登录失败：' + e.message);
  } finally {
    button.disabled = false;
  }
}

// '#/units?overdue=true' -> {path: ['units'], params}
function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [p, q] = raw.split('?', 2);
  return { path: p.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(q || '') };
}

let routing = 0;
async function route(keepStatus) {
  if (!state.me) return;
  const seq = ++routing;
  const { path, params } = parseHash();
  const view = $('view');
  for (const a of document.querySelectorAll('#nav a'))
    a.toggleAttribute('aria-current', a.dataset.route === '#/' + (path[0] || '') || (a.dataset.route === '#/' && !path[0]));
  for (const a of document.querySelectorAll('#nav a[aria-current]')) a.setAttribute('aria-current', 'page');
  if (keepStatus !== true) say('');
  fill(view, h('p', { class: 'loading' }, '正在加载……'));
  const ctx = { me: state.me, params, stale: () => seq !== routing };
  try {
    let node;
    if (!path[0]) node = await overview(ctx);
    else if (['units', 'hazards', 'rectifications'].includes(path[0]) && path.length === 1) node = await listView(path[0], ctx);
    else if (path[0] === 'unit' && /^[1-9][0-9]{0,14}$/.test(path[1] || '')) node = await unitFile(path[1], ctx);
    else if (path[0] === 'rectification' && /^[1-9][0-9]{0,14}$/.test(path[1] || '')) node = await rectificationView(path[1], ctx);
    else if (path[0] === 'todo') node = await todo(ctx);
    else node = h('section', null, h('h2', null, '页面不存在'), h('p', null, '没有这个页面。'), h('a', { href: '#/' }, '返回概览'));
    if (!ctx.stale()) fill(view, node);
  } catch (e) {
    if (ctx.stale()) return;
    if (e instanceof ApiError && e.status === 401) return; // the login form is shown
    const refused = e instanceof ApiError && (e.status === 403 || e.status === 404);
    fill(view, h('section', { class: 'refused' },
      h('h2', null, refused ? '无法查看' : '加载失败'),
      h('p', { class: 'msg error' }, refused ? '未找到该记录，或您无权查看。' : '出错了：' + (e.describe ? e.describe() : e.message)),
      h('a', { href: home(state.me.role) }, '返回首页')));
  }
  if (!ctx.stale()) {
    const heading = view.querySelector('h2');
    if (heading && document.activeElement === document.body) heading.setAttribute('tabindex', '-1');
  }
}

async function start() {
  $('login-form').addEventListener('submit', login);
  window.addEventListener('hashchange', () => route());
  // A view that changed something asks to be drawn again, keeping its message.
  window.addEventListener('sereg:refresh', () => route(true));
  window.addEventListener('sereg:signed-out', () => showLogin('登录已过期，请重新登录。'));
  try {
    const { data } = await api('/session');
    setCsrf(data.csrf_token);
    showFrame(data.account);
    if (!location.hash || location.hash === '#') location.hash = home(data.account.role);
    route();
  } catch (e) {
    showLogin(e instanceof ApiError && e.status === 401 ? '' : '无法连接服务器：' + e.message);
  }
}

start();
