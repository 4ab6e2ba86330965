// otpgate operator console: one page, five views, no framework. Data from /dashboard/api (the
// session cookie rides along by itself; changes add the CSRF header), live updates over SSE.
// Numbers and ids sit in <bdi dir="ltr"> so they read the same inside right-to-left text; times
// are shown in the browser's own time zone.
'use strict';

const $ = (sel, root = document) => root.querySelector(sel);
let csrf = '';

/** h('td', { class: 'num' }, 'text', node…): an element built without innerHTML. */
function h(tag, attrs = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids.flat()) if (kid !== undefined && kid !== null && kid !== false) el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  return el;
}
const ltr = (x) => h('bdi', { dir: 'ltr' }, x ?? '–');
const status = (s) => h('span', { class: `status ${s}` }, s ?? '–');
const fmtTime = (ms) => (ms ? new Date(ms).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' }) : '–');
const fmtInt = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString());
const fmtPct = (r) => (r === null || r === undefined ? '–' : `${(r * 100).toFixed(1)}%`);
const fmtMs = (ms) => (ms === null || ms === undefined ? '–' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`);
const fmtMoney = (micro, cur) => `${(micro / 1e6).toLocaleString(undefined, { maximumFractionDigits: 6 })} ${cur ?? ''}`;

function toast(text, bad = false) {
  const t = $('#toast');
  t.textContent = text;
  t.className = bad ? 'bad' : '';
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.hidden = true), 5000);
}

/** The console API: JSON in and out; a change carries the CSRF token; a lost session goes back to sign-in. */
async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/dashboard/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (res.status === 401) location.reload();
  const data = res.headers.get('content-type')?.includes('json') ? await res.json() : { error: { message: await res.text() } };
  if (!res.ok) {
    const err = new Error(data?.error?.message ?? `${res.status}`);
    err.status = res.status;
    err.code = data?.error?.code;
    throw err;
  }
  return data;
}

// ---------- pages ----------
const pages = {};
let current = '';
function show(name) {
  if (!pages[name]) name = 'overview';
  current = name;
  for (const s of document.querySelectorAll('.page')) s.hidden = s.id !== `page-${name}`;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('on', a.dataset.page === name);
  document.title = `otpgate · ${name}`;
  pages[name].load().catch((e) => toast(e.message, true));
}
window.addEventListener('hashchange', () => show(location.hash.slice(1)));

// Overview
const charts = {};
pages.overview = {
  async load() {
    const o = await api('GET', '/overview');
    const tiles = [
      ['sends, last hour', fmtInt(o.per_minute.sends.reduce((a, b) => a + b, 0))],
      ['delivered, last hour', fmtInt(o.per_minute.delivered.reduce((a, b) => a + b, 0))],
      ['approved, last hour', fmtInt(o.per_minute.approved.reduce((a, b) => a + b, 0))],
      ['accept → delivered, median', fmtMs(o.delivery_ms.median)],
      ['accept → delivered, p95', fmtMs(o.delivery_ms.p95)],
      ['outbox depth', fmtInt(o.outbox_depth)],
      ['webhook backlog', fmtInt(o.webhook_backlog)],
    ];
    $('#tiles').replaceChildren(...tiles.map(([k, v]) => h('div', { class: 'tile', dataset: { tile: k } }, h('div', { class: 'v' }, ltr(v)), h('div', { class: 'k' }, k))));
    chart('chart-minute', o.per_minute);
    chart('chart-hour', o.per_hour);
    funnelTable($('#funnel-country'), 'country', o.funnel.by_country);
    funnelTable($('#funnel-provider'), 'provider', o.funnel.by_provider);
  },
};

function chart(id, s) {
  const el = document.getElementById(id);
  const data = [s.t, s.sends, s.delivered, s.approved];
  if (charts[id]) return charts[id].setData(data);
  const width = Math.max(320, el.clientWidth || 560);
  charts[id] = new uPlot(
    {
      width,
      height: 220,
      // Times on the axis in the browser's zone (uPlot's default tzDate is local time).
      series: [{}, { label: 'sends', stroke: '#2f6fed', width: 2 }, { label: 'delivered', stroke: '#1f9d55', width: 2 }, { label: 'approved', stroke: '#c98a00', width: 2 }],
      axes: [{}, { size: 50 }],
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    },
    data,
    el,
  );
}

function funnelTable(table, what, lines) {
  const head = h('tr', {}, h('th', {}, what), ...['sent', 'delivered', 'approved', 'delivery', 'conversion'].map((k) => h('th', { class: 'num' }, k)));
  const rows = lines.length
    ? lines.map((l) =>
        h('tr', { dataset: { key: l.key } }, h('td', {}, ltr(l.key)), h('td', { class: 'num' }, ltr(fmtInt(l.sent))), h('td', { class: 'num' }, ltr(fmtInt(l.delivered))), h('td', { class: 'num' }, ltr(fmtInt(l.approved))), h('td', { class: 'num' }, ltr(fmtPct(l.delivery_rate))), h('td', { class: 'num' }, ltr(fmtPct(l.conversion_rate)))),
      )
    : [h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'nothing sent in the last 7 days'))];
  table.replaceChildren(h('thead', {}, head), h('tbody', {}, rows));
}

// Messages
let filters = {};
let before = null;
pages.messages = {
  async load(append = false) {
    const q = new URLSearchParams({ ...filters, ...(append && before ? { before } : {}) });
    const r = await api('GET', `/messages?${q}`);
    before = r.next_before;
    $('#more').hidden = !before;
    const body = $('#messages tbody');
    const rows = r.data.map(messageRow);
    if (append) body.append(...rows);
    else body.replaceChildren(...(rows.length ? rows : [h('tr', { class: 'empty' }, h('td', { colspan: 7, class: 'muted' }, 'no messages match'))]));
  },
};
function messageRow(m) {
  return h(
    'tr',
    { class: 'row', dataset: { id: m.id }, onclick: () => openMessage(m.id) },
    h('td', {}, fmtTime(m.created_at)),
    h('td', {}, ltr(m.to)),
    h('td', {}, m.country ?? '–'),
    h('td', { class: 'st' }, status(m.status)),
    h('td', { class: 'pv' }, m.provider ?? '–'),
    h('td', {}, m.family),
    h('td', {}, m.channel),
  );
}
$('#filters').addEventListener('submit', (e) => {
  e.preventDefault();
  filters = Object.fromEntries([...new FormData(e.target)].filter(([, v]) => v !== ''));
  before = null;
  pages.messages.load().catch((err) => toast(err.message, true));
});
$('#more').addEventListener('click', () => pages.messages.load(true).catch((err) => toast(err.message, true)));

async function openMessage(id) {
  for (const tr of document.querySelectorAll('#messages tr.sel')) tr.classList.remove('sel');
  document.querySelector(`#messages tr[data-id="${CSS.escape(id)}"]`)?.classList.add('sel');
  const d = await api('GET', `/messages/${encodeURIComponent(id)}`);
  const m = d.message;
  const pane = $('#detail');
  pane.dataset.id = m.id;
  pane.hidden = false;
  pane.replaceChildren(
    h('h2', {}, h('span', {}, 'Message ', ltr(m.id)), status(m.status)),
    h(
      'dl',
      { class: 'kv' },
      ...[
        ['to', ltr(m.to)],
        ['country', m.country],
        ['account', ltr(m.account_id)],
        ['verification', ltr(m.verification_id)],
        ['family / channel', `${m.family} / ${m.channel}`],
        ['provider', m.provider ?? '–'],
        ['carrier id', ltr(m.provider_message_id)],
        ['encoding', `${m.encoding} · ${m.segments} segment${m.segments === 1 ? '' : 's'}`],
        ['price', ltr(fmtInt(m.price))],
        ['error', m.error_code ? `${m.error_code}${m.error_message ? `: ${m.error_message}` : ''}` : '–'],
      ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    ),
    h('div', { class: 'body', dir: 'auto', lang: m.locale }, m.body),
    h('h3', {}, 'History'),
    h('ol', { class: 'timeline', id: 'history' }, d.events.map((e) => h('li', { dataset: { status: e.status } }, status(e.status), ' ', fmtTime(e.at), e.provider ? ` · ${e.provider}` : '', e.detail ? h('span', { class: 'muted' }, ` · ${e.detail}`) : ''))),
    h('h3', {}, 'Webhook deliveries'),
    d.webhooks.length
      ? h('table', { id: 'webhooks' }, h('thead', {}, h('tr', {}, ...['event', 'status', 'state', 'attempts', 'url', 'error'].map((k) => h('th', {}, k)))), h('tbody', {}, d.webhooks.map((w) => h('tr', {}, h('td', {}, w.event), h('td', {}, w.status), h('td', {}, status(w.state)), h('td', { class: 'num' }, ltr(w.attempts)), h('td', {}, ltr(w.url)), h('td', {}, w.last_error ?? '')))))
      : h('p', { class: 'muted' }, 'none (the account has no webhook URL, or nothing to report yet)'),
  );
}

// Carriers (rendered from the SSE feed; a fetch fills it until the first event)
let carriers = null;
pages.carriers = {
  async load() {
    renderCarriers(carriers ?? (await api('GET', '/carriers')));
  },
};
function renderCarriers(c) {
  carriers = c;
  if (current !== 'carriers') return;
  const cards = c.providers.map((p) => {
    const st = p.status || {};
    const binds = Array.isArray(st.binds) ? st.binds : [];
    return h(
      'div',
      { class: 'card', dataset: { provider: p.name } },
      h('h2', {}, `${p.name} `, h('small', {}, `${p.kind} · ${p.channels.join(', ')}`), ' ', status(p.state)),
      h('div', { class: 'muted' }, `circuit ${p.circuit.state}`, p.circuit.failureRate !== undefined ? ` · error rate ${fmtPct(p.circuit.failureRate)}` : '', st.peer ? ` · peer ${st.peer}` : ''),
      binds.length
        ? h(
            'table',
            { class: 'binds' },
            h('thead', {}, h('tr', {}, ...['bind', 'role', 'state', 'window in use', 'waiting', 'submits/s', 'receipts/s', 'errors', 'last error'].map((k) => h('th', {}, k)))),
            h(
              'tbody',
              {},
              binds.map((b) =>
                h('tr', { dataset: { bind: b.bind } }, h('td', {}, ltr(b.bind)), h('td', {}, b.role ?? ''), h('td', {}, status(b.state)), h('td', { class: 'num window' }, ltr(`${b.window_in_use} / ${b.window}`)), h('td', { class: 'num' }, ltr(b.waiting)), h('td', { class: 'num' }, ltr(Number(b.submits_per_s ?? 0).toFixed(1))), h('td', { class: 'num' }, ltr(Number(b.receipts_per_s ?? 0).toFixed(1))), h('td', { class: 'num' }, ltr(b.errors)), h('td', { class: 'muted' }, b.last_error ?? '')),
              ),
            ),
          )
        : '',
    );
  });
  const d = c.dispatcher;
  cards.push(h('div', { class: 'card' }, h('h2', {}, 'Dispatcher ', status(d.running ? 'up' : 'down')), h('div', { class: 'muted' }, Object.entries(d).filter(([k]) => k !== 'running').map(([k, v]) => `${k} ${fmtInt(v)}`).join(' · '))));
  $('#carriers').replaceChildren(...cards);
}

// Abuse: refusals from this instance's counters; blocks and caps from the admin API when the build has them.
pages.abuse = {
  async load() {
    const r = await api('GET', '/refusals');
    $('#refusals').replaceChildren(
      h('thead', {}, h('tr', {}, h('th', {}, 'limit'), h('th', {}, 'family'), h('th', { class: 'num' }, 'refused'))),
      h('tbody', {}, r.since_start.length ? r.since_start.sort((a, b) => b.count - a.count).map((x) => h('tr', {}, h('td', {}, x.limit), h('td', {}, x.family), h('td', { class: 'num' }, ltr(fmtInt(x.count))))) : h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'no refusals since this instance started'))),
    );
    await adminSection($('#blocks'), '/admin/blocks', renderBlocks);
    await renderSpend($('#spend'));
  },
};

/** Fills `el` from an admin endpoint, or says plainly that this build has none. */
async function adminSection(el, path, render) {
  try {
    render(el, await api('GET', path));
  } catch (e) {
    if (e.status === 404 && e.code === 'not_found') el.replaceChildren(h('p', { class: 'muted' }, `this gateway has no ${path} endpoint yet`));
    else el.replaceChildren(h('p', { class: 'error' }, e.message));
  }
}

function renderBlocks(el, r) {
  const list = r.data ?? r.blocks ?? [];
  if (!list.length) return el.replaceChildren(h('p', { class: 'muted' }, 'no prefix is blocked'));
  el.replaceChildren(
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, ...['prefix', 'scope', 'reason', 'figures', 'since', 'until', ''].map((k) => h('th', {}, k)))),
      h(
        'tbody',
        {},
        list.map((b) =>
          h(
            'tr',
            { dataset: { block: b.id } },
            h('td', {}, ltr(b.prefix)),
            h('td', {}, b.account_id && b.account_id !== '*' ? ltr(b.account_id) : 'all accounts'),
            h('td', {}, b.reason ?? b.limit ?? ''),
            h('td', { class: 'muted' }, typeof b.figures === 'object' && b.figures ? Object.entries(b.figures).map(([k, v]) => `${k} ${v}`).join(' · ') : String(b.figures ?? '')),
            h('td', {}, fmtTime(b.created_at ?? b.since)),
            h('td', {}, fmtTime(b.expires_at ?? b.until)),
            h('td', {}, h('button', { class: 'danger lift', onclick: () => lift(b) }, 'Lift')),
          ),
        ),
      ),
    ),
  );
}
async function lift(b) {
  await api('POST', `/admin/blocks/${encodeURIComponent(b.id)}/lift`, {}).then(
    () => toast(`block on ${b.prefix} lifted`),
    (e) => toast(e.message, true),
  );
  pages.abuse.load();
}
/** Charged today per account against its daily cap (the cap from the abuse settings, when the build has them). */
async function renderSpend(el) {
  const r = await api('GET', '/spend');
  const rows = await Promise.all(
    r.data.map(async (a) => {
      const settings = await api('GET', `/admin/accounts/${encodeURIComponent(a.account_id)}/abuse`).catch(() => undefined);
      const cap = settings?.spend?.daily_cap;
      return h(
        'tr',
        { dataset: { account: a.account_id } },
        h('td', {}, a.name, ' ', h('small', { class: 'muted' }, ltr(a.account_id))),
        h('td', { class: 'num' }, ltr(fmtMoney(a.charged_today, a.currency))),
        h('td', { class: 'num' }, cap ? ltr(fmtMoney(cap, a.currency)) : h('span', { class: 'muted' }, settings ? 'no cap' : 'caps not available')),
        h('td', { class: 'num' }, cap ? ltr(fmtPct(a.charged_today / cap)) : ''),
      );
    }),
  );
  el.replaceChildren(h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'account'), h('th', { class: 'num' }, 'charged today (UTC)'), h('th', { class: 'num' }, 'daily cap'), h('th', { class: 'num' }, 'used'))), h('tbody', {}, rows)));
}

// Accounts
pages.accounts = {
  async load() {
    const r = await api('GET', '/accounts');
    $('#accounts').replaceChildren(...r.data.map(accountCard));
  },
};
function accountCard(a) {
  const once = h('div', { class: 'once', hidden: true });
  return h(
    'div',
    { class: 'card', dataset: { account: a.id } },
    h('h2', {}, `${a.name} `, h('small', {}, ltr(a.id), ` · region ${a.region}`)),
    h('div', { class: 'tile' }, h('div', { class: 'v balance' }, ltr(fmtMoney(a.balance, a.currency))), h('div', { class: 'k' }, 'balance')),
    ledgerForm(a),
    h('h3', {}, 'API keys'),
    h(
      'table',
      { class: 'keys' },
      h('thead', {}, h('tr', {}, ...['key', 'family', 'created', 'last used', 'state', ''].map((k) => h('th', {}, k)))),
      h(
        'tbody',
        {},
        a.keys.map((k) =>
          h(
            'tr',
            { dataset: { key: k.id } },
            h('td', {}, ltr(`…${k.last4}`)),
            h('td', {}, k.family),
            h('td', {}, fmtTime(k.created_at)),
            h('td', {}, fmtTime(k.last_used_at)),
            h('td', {}, status(k.revoked_at ? 'revoked' : 'active')),
            h('td', {}, k.revoked_at ? '' : h('button', { class: 'danger revoke', onclick: () => revoke(k) }, 'Revoke')),
          ),
        ),
      ),
    ),
    h('div', { class: 'actions' }, h('button', { class: 'secondary newkey', onclick: () => newKey(a, once) }, 'Create key'), once),
    h('h3', {}, 'Webhook'),
    h('p', {}, a.webhook.url ? [ltr(a.webhook.url), ` · ${a.webhook.format} · ${a.webhook.signed ? 'signed' : 'unsigned'}`] : h('span', { class: 'muted' }, 'none set (PUT /v1/webhook with the account’s key)')),
    h('h3', {}, 'Test numbers'),
    testNumbers(a),
  );
}

/** Test numbers (app-store review, QA): listed, added with their fixed code, removed — through the admin API. */
function testNumbers(a) {
  const box = h('div', { class: 'testnumbers' });
  const path = `/admin/accounts/${encodeURIComponent(a.id)}/test-numbers`;
  const load = async () => {
    let r;
    try {
      r = await api('GET', path);
    } catch (e) {
      return box.replaceChildren(h('p', { class: 'muted' }, e.status === 404 && e.code === 'not_found' ? 'this gateway has no test numbers endpoint' : e.message));
    }
    box.replaceChildren(
      h('table', {}, h('tbody', {}, r.data.length ? r.data.map(testNumberRow) : h('tr', {}, h('td', { class: 'muted' }, 'none')))),
      h(
        'form',
        { class: 'actions add-test-number', onsubmit: add },
        h('input', { name: 'number', placeholder: '+14155550100', required: true, 'aria-label': 'test number', dir: 'ltr' }),
        h('input', { name: 'code', placeholder: 'fixed code', required: true, pattern: '[0-9A-Za-z]{4,10}', 'aria-label': 'fixed code', dir: 'ltr' }),
        h('button', { type: 'submit', class: 'secondary' }, 'Add test number'),
      ),
    );
  };
  const testNumberRow = (t) =>
    h(
      'tr',
      { dataset: { number: t.number } },
      h('td', {}, ltr(t.number)),
      h('td', {}, 'code ', ltr(t.code)),
      h('td', {}, fmtTime(t.created_at)),
      h('td', {}, h('button', { class: 'secondary remove', onclick: () => remove(t.number) }, 'Remove')),
    );
  const add = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    await api('PUT', `${path}/${encodeURIComponent(f.get('number'))}`, { code: f.get('code') }).then(() => toast('test number saved'), (err) => toast(err.message, true));
    load();
  };
  const remove = async (number) => {
    await api('DELETE', `${path}/${encodeURIComponent(number)}`).then(() => toast(`${number} is no longer a test number`), (err) => toast(err.message, true));
    load();
  };
  load();
  return box;
}
/**
 * Credit or debit with a reason, kept in the ledger, through the admin API's ledger endpoints
 * (GET /admin/accounts/{id}/ledger, POST …/credit | …/debit {amount, reason}); when this build has
 * none, the form says so instead of failing on submit.
 */
function ledgerForm(a) {
  const form = h(
    'form',
    { class: 'actions ledger', onsubmit: (e) => ledger(e, a) },
    h('input', { name: 'amount', type: 'number', step: 'any', min: '0', placeholder: `amount (${a.currency})`, required: true, 'aria-label': 'amount' }),
    h('input', { name: 'reason', placeholder: 'reason (kept in the ledger)', required: true, 'aria-label': 'reason', dir: 'auto' }),
    h('button', { type: 'submit', name: 'op', value: 'credit', class: 'credit' }, 'Credit'),
    h('button', { type: 'submit', name: 'op', value: 'debit', class: 'secondary debit' }, 'Debit'),
  );
  api('GET', `/admin/accounts/${encodeURIComponent(a.id)}/ledger`).catch((e) => {
    if (e.status === 404 && e.code === 'not_found') form.replaceChildren(h('span', { class: 'muted' }, 'credit / debit: this gateway has no ledger endpoint yet'));
  });
  return form;
}

async function ledger(e, a) {
  e.preventDefault();
  const op = e.submitter?.value ?? 'credit';
  const f = new FormData(e.target);
  const amount = Math.round(Number(f.get('amount')) * 1e6);
  try {
    await api('POST', `/admin/accounts/${encodeURIComponent(a.id)}/${op}`, { amount, reason: f.get('reason') });
    toast(`${op} of ${fmtMoney(amount, a.currency)} recorded`);
    pages.accounts.load();
  } catch (err) {
    toast(err.message, true);
  }
}
async function newKey(a, once) {
  try {
    const k = await api('POST', `/accounts/${encodeURIComponent(a.id)}/keys`, { family: '*' });
    once.hidden = false;
    once.replaceChildren('New key (shown only now; copy it): ', h('bdi', { dir: 'ltr', class: 'token' }, k.token));
  } catch (err) {
    toast(err.message, true);
  }
}
async function revoke(k) {
  try {
    await api('POST', `/keys/${encodeURIComponent(k.id)}/revoke`, {});
    toast(`key …${k.last4} revoked`);
    pages.accounts.load();
  } catch (err) {
    toast(err.message, true);
  }
}

// ---------- live feed ----------
function live() {
  const es = new EventSource('/dashboard/api/events');
  es.onopen = () => $('#live').classList.add('on');
  es.onerror = () => $('#live').classList.remove('on');
  es.addEventListener('carriers', (e) => renderCarriers(JSON.parse(e.data)));
  es.addEventListener('message', (e) => onMessageEvent(JSON.parse(e.data)));
}
let overviewTimer;
function onMessageEvent(m) {
  const row = document.querySelector(`#messages tr[data-id="${CSS.escape(m.id)}"]`);
  if (row) {
    row.querySelector('.st').replaceChildren(status(m.status));
    if (m.provider) row.querySelector('.pv').textContent = m.provider;
    if ($('#detail').dataset.id === m.id && current === 'messages') openMessage(m.id).catch(() => {});
  } else if (m.created_at && Object.keys(filters).length === 0) {
    const tr = messageRow({ ...m, provider: null });
    tr.classList.add('fresh');
    $('#messages tbody tr.empty')?.remove();
    $('#messages tbody').prepend(tr);
  }
  if (current === 'overview') {
    clearTimeout(overviewTimer);
    overviewTimer = setTimeout(() => pages.overview.load().catch(() => {}), 1000);
  }
}

(async function main() {
  $('#zone').textContent = Intl.DateTimeFormat().resolvedOptions().timeZone;
  csrf = (await api('GET', '/session')).csrf_token;
  live();
  show(location.hash.slice(1) || 'overview');
  // The messages table is filled once so live rows have a place to land on any page.
  if (current !== 'messages') pages.messages.load().catch(() => {});
})();
