// api.js -- the API of sereg as the pages call it: same origin, the session cookie, the CSRF
// token on every change (X-CSRF-Token), answers in Chinese, problems turned into ApiError.

let csrf = null;
export function setCsrf(token) { csrf = token || null; }

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || ('HTTP ' + status));
    this.status = status;
    this.problem = problem || {};
  }
  // The problem's words for people: its detail and each failing field.
  describe() {
    const errs = (this.problem.errors || []).map(e => (e.field ? e.field + '：' : '') + e.message);
    return [this.message, ...errs].join('；');
  }
}

// One call: path under /api/v1 (with its query), options {method, body (JSON), file (a File:
// the body as it is), headers}. Resolves {status, etag, data}; rejects with ApiError.
export async function api(path, opts = {}) {
  const method = opts.method || 'GET';
  const headers = { Accept: 'application/json', 'Accept-Language': 'zh-CN', ...(opts.headers || {}) };
  let body;
  if (opts.file) {
    body = opts.file;
    headers['Content-Type'] = opts.file.type || 'application/octet-stream';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] = 'application/json';
  }
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;
  let r;
  try {
    r = await fetch('/api/v1' + path, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, { detail: '无法连接服务器，请检查网络后重试。' });
  }
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!r.ok) {
    if (r.status === 401 && path !== '/session') window.dispatchEvent(new Event('sereg:signed-out'));
    throw new ApiError(r.status, data);
  }
  return { status: r.status, etag: r.headers.get('ETag'), data };
}

export const get = async path => (await api(path)).data;

// A query string of the non-empty members of <params>.
export function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}
