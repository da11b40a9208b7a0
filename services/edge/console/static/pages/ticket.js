// A ticket's page: what it is, its history (流转记录), its legs (经办段)
// and co-handlers; for the desk its extension requests, decided here.
import { get } from '../api.js';
import { t, when, stateName } from '../i18n.js';
import { table, esc } from '../dom.js';
import { decisionButtons, wireDecisions } from './approvals.js';

export async function render(main, number, state) {
  const ticket = await get(`tickets/${encodeURIComponent(number)}`);
  const unit = (u) => esc(u ? `${u.name || ''} ${u.code}` : '');
  const history = table('history-table', [
    { key: 'at', label: t('at'), cell: (r) => esc(when(r.at)) },
    { key: 'actor', label: t('actor') },
    { key: 'action', label: t('action') },
    { key: 'from_state', label: t('state'), cell: (r) => `${esc(stateName(r.from_state))} → ${esc(stateName(r.to_state))}` },
    { key: 'unit', label: t('unit'), value: (r) => r.unit?.code, cell: (r) => unit(r.unit) },
    { key: 'reason', label: t('reason') },
  ], ticket.history);
  const legs = table('legs-table', [
    { key: 'seq', label: '#', num: true },
    { key: 'unit', label: t('unit'), value: (r) => r.unit?.code, cell: (r) => unit(r.unit) },
    { key: 'start', label: t('start') },
    { key: 'given_at', label: t('givenAt'), cell: (r) => esc(when(r.given_at)) },
    { key: 'due_at', label: t('dueAt'), cell: (r) => esc(when(r.due_at)) },
    { key: 'signed_at', label: t('signedAt'), cell: (r) => esc(when(r.signed_at)) },
    { key: 'ended_at', label: t('endedAt'), cell: (r) => esc(when(r.ended_at)) },
    { key: 'outcome', label: t('outcome') },
  ], ticket.legs);
  const extensions = ticket.extensions.length ? `
    <div class="panel"><h2>${t('extensions')}</h2>${table('ticket-extensions', [
      { key: 'days', label: t('days'), num: true },
      { key: 'reason', label: t('reason') },
      { key: 'state', label: t('state'), cell: (r) => esc(stateName(r.state)) },
      { key: 'requested_by', label: t('requestedBy') },
      { key: 'requested_at', label: t('requestedAt'), cell: (r) => esc(when(r.requested_at)) },
      { key: 'id', label: '', cell: (r) => (r.state === 'pending' ? decisionButtons(r) : '') },
    ], ticket.extensions.map((e) => ({ ...e, __key: e.id })))}</div>` : '';
  main.innerHTML = `
    <div class="panel"><h2 id="ticket-number">${esc(ticket.number)} · ${esc(ticket.title)}</h2>
      <p>${t('state')}: <span class="badge" id="ticket-state" data-value="${esc(ticket.state)}">${esc(stateName(ticket.state))}</span>
         · ${t('channel')}: ${esc(ticket.channel)} · ${t('category')}: ${esc(ticket.category_code)}
         · ${t('village')}: ${esc(ticket.village_code || '')} · ${t('assignee')}: ${unit(ticket.assignee)}
         · ${t('dueAt')}: <span id="ticket-due">${esc(when(ticket.due_at))}</span></p>
      <p>${t('description')}: ${esc(ticket.description)}</p></div>
    ${extensions}
    <div class="panel"><h2>${t('history')}</h2>${history}</div>
    <div class="panel"><h2>${t('legs')}</h2>${legs}</div>`;
  wireDecisions(main, () => render(main, number, state));
}
