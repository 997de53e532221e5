// dom.js -- building the page from data without ever parsing data as HTML: every value from
// the API becomes a text node (or an attribute set one by one), so that an address such as
// <img src=x onerror=alert(1)> is shown as the characters it is.

// h('a', {href: '#/', class: 'x'}, 'text', child, [more]) -> an element. Attributes are set with
// setAttribute (never an event handler: names starting with "on" are refused), children that are
// not nodes become text nodes; null, undefined and false are left out.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (/^on/i.test(name)) throw new Error('no inline handlers: ' + name);
    if (name === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Empties <el> and puts <children> in it.
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// A table: columns [{title, cell: row => node|text, num: bool}], rows, and a caption.
export function table(caption, columns, rows, empty = '无记录') {
  const head = h('tr', null, columns.map(c => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.title)));
  const body = rows.length
    ? rows.map(r => h('tr', null, columns.map((c, i) => {
      const v = c.cell(r);
      return i === 0 && c.rowHeader ? h('th', { scope: 'row' }, v) : h('td', { class: c.num ? 'num' : null }, v);
    })))
    : [h('tr', null, h('td', { colspan: columns.length, class: 'empty' }, empty))];
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
    h('table', null, h('caption', null, caption), h('thead', null, head), h('tbody', null, body)));
}

// A link to a hash route.
export function link(href, ...children) { return h('a', { href }, ...children); }

// A labelled form control: {label, name, type, value, options: [[value, text]], required, hint}.
let uid = 0;
export function field(spec) {
  const id = 'f' + (++uid);
  let control;
  if (spec.options) {
    control = h('select', { id, name: spec.name, required: spec.required },
      spec.options.map(([v, t]) => h('option', { value: v, selected: String(spec.value ?? '') === String(v) }, t)));
  } else if (spec.type === 'textarea') {
    control = h('textarea', { id, name: spec.name, required: spec.required, rows: 3, maxlength: 1000 });
    control.value = spec.value ?? '';
  } else {
    control = h('input', {
      id, name: spec.name, type: spec.type || 'text', required: spec.required, autocomplete: spec.autocomplete,
      min: spec.min, max: spec.max, minlength: spec.minlength, maxlength: spec.maxlength, multiple: spec.multiple,
      accept: spec.accept, placeholder: spec.placeholder, inputmode: spec.inputmode,
    });
    if (spec.value !== undefined && spec.value !== null && spec.type !== 'file') control.value = spec.value;
  }
  return h('div', { class: 'field' + (spec.wide ? ' wide' : '') }, h('label', { for: id }, spec.label), control,
    spec.hint ? h('small', null, spec.hint) : null);
}

// A message in the page's live region, read out by screen readers.
export function say(text, kind = 'info') {
  const box = document.getElementById('status');
  fill(box, text ? h('p', { class: 'msg ' + kind }, text) : null);
}
