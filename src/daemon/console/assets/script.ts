/**
 * The console's one script, compiled into the package as text and served under its content hash
 * (the CSP allows script only from the daemon itself, and no inline script at all).
 *
 * It never builds HTML from agent text: request cards come as HTML the server drew truthfully, and
 * live output is added as text nodes with invisible characters marked by the same character class
 * the server uses (characters.ts, inserted below). The CSRF token lives in localStorage, which is
 * scoped to this origin (port included), never in a page.
 */
import {FORBIDDEN} from '../../../lib/text/characters.js'

const MARKED = JSON.stringify(`${FORBIDDEN.source}|[⟨⏎⇥]`)

export const SCRIPT = String.raw`(() => {
'use strict'
const body = document.body
const page = body.dataset.page
const $ = (s, el) => (el || document).querySelector(s)
const $$ = (s, el) => Array.from((el || document).querySelectorAll(s))
const CSRF_KEY = 'hub.csrf'
// Emptied first and refilled a moment later, so a screen reader announces the same text twice.
function announce(text) {
  const el = $('#announce')
  if (!el) return
  el.textContent = ''
  setTimeout(() => { el.textContent = text }, 50)
}

async function api(method, path, payload) {
  const headers = {'X-CSRF-Token': localStorage.getItem(CSRF_KEY) || ''}
  if (payload !== undefined) headers['Content-Type'] = 'application/json'
  let res
  try {
    const sent = payload === undefined ? undefined : JSON.stringify(payload)
    res = await fetch(path, {method, headers, credentials: 'same-origin', body: sent})
  } catch (e) {
    return {status: 0, json: {error: {code: 'daemon_unreachable', message: 'The daemon did not answer: ' + e.message}}}
  }
  let json = null
  try { json = await res.json() } catch {}
  if (res.status === 401) showSignedOut()
  return {status: res.status, json}
}

function errorText(r) {
  const e = r.json && r.json.error
  if (!e) return 'Failed (HTTP ' + r.status + ').'
  if (e.code === 'forbidden' && /CSRF/i.test(e.message || '')) return e.message + ' Sign in again with hub open.'
  return e.message || e.code
}

function showSignedOut() {
  const s = $('#stream')
  if (s) { s.textContent = 'Signed out — run hub open'; s.className = 'status-down' }
}

// Relative times ("3 min ago", "in 23 h") kept current.
function dur(ms) {
  const s = Math.round(Math.abs(ms) / 1000)
  if (s < 60) return s + ' s'
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60)
  if (d > 0) return d + ' d ' + h + ' h'
  if (h > 0) return h + ' h ' + m + ' min'
  return m + ' min ' + (s % 60) + ' s'
}
function refreshTimes() {
  const now = Date.now()
  for (const t of $$('time[data-rel]')) {
    const at = Date.parse(t.getAttribute('datetime'))
    if (Number.isNaN(at)) continue
    const diff = at - now
    t.textContent = Math.abs(diff) < 1000 ? 'now' : diff < 0 ? dur(diff) + ' ago' : 'in ' + dur(diff)
  }
}
setInterval(refreshTimes, 10000)

const logout = $('#logout')
if (logout) logout.addEventListener('click', async () => {
  await api('POST', '/console/logout', {})
  localStorage.removeItem(CSRF_KEY)
  location.replace('/console/login')
})

// Sign-in: the code arrives in the fragment, which the browser never sends anywhere; it is taken out
// of the address bar and history at once, then exchanged (once) for the session.
async function login(code) {
  const err = $('#login-error')
  const r = await api('POST', '/console/login', {code})
  if (r.status === 200 && r.json && r.json.csrf_token) {
    localStorage.setItem(CSRF_KEY, r.json.csrf_token)
    location.replace('/')
    return
  }
  err.textContent = errorText(r)
  err.hidden = false
}
if (page === 'login') {
  const m = /[#&]code=([A-Za-z0-9_-]+)/.exec(location.hash)
  history.replaceState(null, '', location.pathname)
  if (m) login(m[1])
  const form = $('#login-form')
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    const v = $('#login-code').value.trim()
    const mm = /code=([A-Za-z0-9_-]+)/.exec(v)
    login(mm ? mm[1] : v)
  })
  return
}

// Live events: the page was drawn at audit seq data-seq, so the stream starts right after it.
function openEvents(extra, onEvent) {
  const status = $('#stream')
  const since = body.dataset.seq || '0'
  const es = new EventSource('/events?last_event_id=' + encodeURIComponent(since) + extra)
  es.onopen = () => { if (status) { status.textContent = 'Live'; status.className = 'status-live' } }
  es.onerror = () => {
    if (!status) return
    if (es.readyState === EventSource.CLOSED) showSignedOut()
    else { status.textContent = 'Reconnecting…'; status.className = 'status-down' }
  }
  es.onmessage = (m) => { let d; try { d = JSON.parse(m.data) } catch { return } onEvent(d) }
  return es
}

// Live output of a run: text nodes only, invisible characters marked as on the server.
const MARKED = new RegExp(${MARKED}, 'gv')
function appendMarked(pre, text) {
  let last = 0
  for (const m of text.matchAll(MARKED)) {
    if (m.index > last) pre.append(document.createTextNode(text.slice(last, m.index)))
    const span = document.createElement('span')
    span.className = 'mk esc'
    span.title = 'invisible or control character'
    span.textContent = '⟨U+' + m[0].codePointAt(0).toString(16).toUpperCase().padStart(4, '0') + '⟩'
    pre.append(span)
    last = m.index + m[0].length
  }
  if (last < text.length) pre.append(document.createTextNode(text.slice(last)))
}

if (page === 'run' && body.dataset.state === 'running') {
  const runId = body.dataset.run
  const out = $('#live-out')
  openEvents('&output=1', (d) => {
    if (d.run_id !== runId) return
    if (d.type === 'run_output' && typeof d.data === 'string') appendMarked(out, d.data)
    else if (d.type === 'run_finished' || d.type === 'run_interrupted') location.reload()
  })
  return
}

if (page !== 'queue' && page !== 'request') return

// The queue: cards, the current one (j/k), and decisions through the dialogs.
const queue = $('#queue')
const cards = () => $$('li.req:not(.decided)', queue)
let current = null
function setCurrent(li, focus) {
  if (current) current.classList.remove('current')
  current = li
  if (!li) return
  li.classList.add('current')
  if (focus) { li.focus({preventScroll: true}); li.scrollIntoView({block: 'nearest'}) }
}
function updateCount() {
  const n = cards().length
  const c = $('#queue-count'); if (c) c.textContent = n + ' waiting'
  const nav = $('#nav-pending'); if (nav) nav.textContent = '(' + n + ')'
  const empty = $('#queue-empty'); if (empty) empty.hidden = n > 0
  document.title = (n > 0 ? '(' + n + ') ' : '') + document.title.replace(/^\(\d+\) /, '')
}
function markDecided(li, text, runId) {
  if (!li || li.classList.contains('decided')) return
  li.classList.add('decided')
  for (const b of $$('button', li)) b.disabled = true
  const out = $('.outcome', li)
  out.textContent = text
  if (runId) {
    const a = document.createElement('a')
    a.href = '/console/runs/' + encodeURIComponent(runId)
    a.textContent = 'View run ' + runId
    out.append(' ', a)
  }
  if (current === li) setCurrent(cards()[0] || null, false)
  updateCount()
}

const decide = $('#decide')
const edit = $('#edit')
let pendingAction = null

function openDecide(li, act) {
  pendingAction = {li, act}
  const id = li.dataset.id
  $('#decide-title').textContent = (act === 'approve' ? 'Approve and run request ' : 'Deny request ') + id + '?'
  $('#decide-cmd').replaceChildren(...$('pre.cmd', li).cloneNode(true).childNodes)
  $('#decide-comment').value = ''
  const err = $('#decide-error'); err.hidden = true; err.textContent = ''
  const confirm = $('#decide-confirm')
  confirm.textContent = act === 'approve' ? 'Approve and run' : 'Deny request'
  confirm.className = act === 'approve' ? 'approve' : 'deny'
  decide.showModal()
  $('#decide-comment').focus()
}

async function openEdit(li) {
  pendingAction = {li, act: 'edit'}
  const err = $('#edit-error'); err.hidden = true; err.textContent = ''
  const r = await api('GET', '/pending/' + encodeURIComponent(li.dataset.id))
  if (r.status !== 200) { announce(errorText(r)); $('.outcome', li).textContent = errorText(r); return }
  pendingAction.original = r.json
  $('#edit-command').value = r.json.command
  $('#edit-cwd').value = r.json.cwd
  $('#edit-timeout').value = String(r.json.timeout_s)
  $('#edit-comment').value = ''
  edit.showModal()
  $('#edit-command').focus()
}

async function submitDecision(li, act, extra) {
  const id = li.dataset.id
  const note = extra.note
  const path = act === 'deny' ? '/deny/' + encodeURIComponent(id) : '/approve/' + encodeURIComponent(id) + '?wait=0'
  const payload = act === 'deny'
    ? (note ? {reason: note} : {})
    : Object.assign({command_sha256: li.dataset.sha256}, note ? {note} : {}, extra.edit || {})
  // While this page's own decision is in flight, its answer (not the live event) describes the card.
  li.dataset.deciding = '1'
  const r = await api('POST', path, payload)
  delete li.dataset.deciding
  if (r.status === 409) markDecided(li, errorText(r))
  if (r.status >= 200 && r.status < 300) {
    if (act === 'deny') { markDecided(li, 'Denied.'); announce('Denied ' + id) }
    else {
      const runId = r.json && r.json.run_id
      const what = extra.edit && extra.edit.command !== undefined ? 'Approved with your edit' : 'Approved'
      const byAgent = r.json && r.json.executor === 'agent'
      markDecided(li, runId ? what + ' — running.' : what + (byAgent ? '; the agent runs it.' : '.'), runId)
      announce(what + ' ' + id)
    }
    return null
  }
  return r
}

decide.querySelector('form').addEventListener('submit', async (e) => {
  if (e.submitter && e.submitter.value === 'cancel') return
  e.preventDefault()
  const {li, act} = pendingAction
  const confirm = $('#decide-confirm'); confirm.disabled = true
  const failed = await submitDecision(li, act, {note: $('#decide-comment').value})
  confirm.disabled = false
  if (!failed) { decide.close(); if (current) current.focus(); return }
  const err = $('#decide-error'); err.textContent = errorText(failed); err.hidden = false
})

edit.querySelector('form').addEventListener('submit', async (e) => {
  if (e.submitter && e.submitter.value === 'cancel') return
  e.preventDefault()
  const {li, original} = pendingAction
  const changes = {}
  const command = $('#edit-command').value
  const cwd = $('#edit-cwd').value
  const timeout = Number($('#edit-timeout').value)
  if (command !== original.command) changes.command = command
  if (cwd !== original.cwd) changes.cwd = cwd
  if (timeout !== original.timeout_s) changes.timeout_s = timeout
  const confirm = $('#edit-confirm'); confirm.disabled = true
  const failed = await submitDecision(li, 'approve', {note: $('#edit-comment').value, edit: changes})
  confirm.disabled = false
  if (!failed) { edit.close(); if (current) current.focus(); return }
  const err = $('#edit-error')
  const e2 = failed.json && failed.json.error
  const refused = e2 && e2.code === 'policy_denied' && !/policy/i.test(e2.message || '')
  err.textContent = (refused ? 'Refused by the policy: ' : '') + errorText(failed)
  err.hidden = false
})

function act(li, what) {
  if (!li || li.classList.contains('decided')) return
  setCurrent(li, false)
  if (what === 'edit') openEdit(li)
  else openDecide(li, what)
}

// Explanations in the queue are fetched when first opened: drawn by the server, put in whole.
queue.addEventListener('toggle', async (e) => {
  const d = e.target
  if (!d.matches || !d.matches('details[data-explain]') || !d.open) return
  const url = d.dataset.explain
  delete d.dataset.explain
  const res = await fetch(url, {credentials: 'same-origin'})
  const summary = d.querySelector('summary')
  if (res.status !== 200) { d.dataset.explain = url; return }
  const html = await res.text()
  const tmp = document.createElement('template')
  tmp.innerHTML = html
  const inner = tmp.content.querySelector('details')
  d.replaceChildren(summary, ...(inner ? Array.from(inner.childNodes).filter((n) => n.nodeName !== 'SUMMARY') : []))
}, true)

queue.addEventListener('click', (e) => {
  const b = e.target.closest('button[data-act]')
  if (b) act(b.closest('li.req'), b.dataset.act)
})
queue.addEventListener('focusin', (e) => {
  const li = e.target.closest('li.req')
  if (li && !li.classList.contains('decided')) setCurrent(li, false)
})

document.addEventListener('keydown', (e) => {
  if (e.altKey || e.ctrlKey || e.metaKey || decide.open || edit.open) return
  if (e.target.closest('input, textarea, select, [contenteditable]')) return
  const list = cards()
  const i = current ? list.indexOf(current) : -1
  if (e.key === 'j') { setCurrent(list[Math.min(list.length - 1, i + 1)] || null, true); e.preventDefault() }
  else if (e.key === 'k') { setCurrent(list[Math.max(0, i - 1)] || null, true); e.preventDefault() }
  else if (e.key === 'a' || e.key === 'd' || e.key === 'e') {
    const li = current || list[0]
    if (!li) return
    e.preventDefault()
    act(li, e.key === 'a' ? 'approve' : e.key === 'd' ? 'deny' : 'edit')
  }
})

// New requests are drawn by the server (the one truthful renderer) and put in at the top.
async function addRequest(id) {
  if (document.getElementById('req-' + id)) return
  const res = await fetch('/console/fragments/requests/' + encodeURIComponent(id), {credentials: 'same-origin'})
  if (res.status !== 200 || document.getElementById('req-' + id)) return
  queue.insertAdjacentHTML('afterbegin', await res.text())
  updateCount()
  announce('New request ' + id)
}

const DONE = {
  command_denied: 'Denied',
  command_expired: 'Expired: not decided in time.',
  command_blocked: 'Blocked by the policy.',
  command_withdrawn: 'Withdrawn by the agent.',
}
openEvents('', (d) => {
  const id = d.pending_id
  if (!id) return
  const li = document.getElementById('req-' + id)
  if (li && li.dataset.deciding) return
  if (d.type === 'command_queued' && page === 'queue') addRequest(id)
  else if (li && d.type === 'command_approved') {
    markDecided(li, 'Approved' + (d.by === 'policy' ? ' by a rule.' : ' (here or elsewhere).'), d.run_id)
  } else if (li && DONE[d.type]) {
    const denied = d.type === 'command_denied'
    markDecided(li, DONE[d.type] + (denied && d.reason ? ': ' + d.reason : denied ? '.' : ''))
  }
})
const first = cards()[0]
if (first) setCurrent(first, false)
})()
`
