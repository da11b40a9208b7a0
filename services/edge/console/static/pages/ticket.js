// A ticket's page: what it is, its history (流转记录), its legs (经办段)
// and co-handlers; for the desk its extension requests, decided here; the
// moves the signed-in staff member may make (dispatch decides which are
// theirs and refuses the rest, shown beside the buttons); and for a ticket
// waiting at the desk (received or returned) the desk's own: dispatch
// along the chain or to a unit of its choosing, reject, merge, and split a
// duplicate off.
import { get, post } from '../api.js';
import { t, when, stateName } from '../i18n.js';
import { table, esc } from '../dom.js';
import { decisionButtons, wireDecisions } from './approvals.js';

export async function render(main, number, state) {
  const ticket = await get(`tickets/${encodeURIComponent(number)}`);
  const unit = (u) => esc(u ? `${u.name || ''} ${u.code}` : '');
  const history = table('history-table', [
    { key: 'at', label: t('at'), cell: (r) => esc(when(r.at)) },
    { key: 'actor', label: t('actor') },
    // A move names its action; the other entries (the receipt, an
    // escalation, a merge, a clock paused) what they record.
    { key: 'action', label: t('action'), cell: (r) => esc(r.change === 'move' ? t(`action_${r.action}`) : t(`change_${r.change}`)) },
    { key: 'from_state', label: t('state'), cell: (r) => (r.from_state === 'unspecified' ? '' : `${esc(stateName(r.from_state))} → `) + esc(stateName(r.to_state)) },
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
    ${deskPanel(ticket)}
    ${movesPanel(ticket)}
    <div class="panel"><h2>${t('history')}</h2>${history}</div>
    <div class="panel"><h2>${t('legs')}</h2>${legs}</div>`;
  wireDecisions(main, () => render(main, number, state));
  wireMoves(main, ticket, () => render(main, number, state));
  wireDesk(main, ticket, () => render(main, number, state));
}

const AT_DESK = ['received', 'returned'];
const UNIT_KINDS = ['micro_grid', 'workstation', 'department', 'town_centre', 'leader'];
const REJECT_REASONS = ['prank', 'duplicate', 'outside_the_town', 'not_a_case'];

function deskPanel(ticket) {
  const waiting = AT_DESK.includes(ticket.state) && !ticket.duplicate_of;
  if (!waiting && !ticket.duplicate_of) return '';
  const split = ticket.duplicate_of ? `
      <p>${t('duplicateOf')}: <span id="duplicate-of">${esc(ticket.duplicate_of)}</span></p>
      <button type="button" class="primary desk" data-desk="split">${t('move_split')}</button>` : '';
  const moves = waiting ? `
      <label>${t('unitKind')}<select id="desk-unit-kind"><option value="">${t('chain')}</option>
        ${UNIT_KINDS.map((k) => `<option value="${k}">${t(`kind_${k}`)}</option>`).join('')}</select></label>
      <label>${t('unitCode')}<input id="desk-unit-code" size="18"></label>
      <button type="button" class="primary desk" data-desk="dispatch">${t('move_dispatch')}</button>
      <br>
      <label>${t('rejectReason')}<select id="desk-reject-reason">
        ${REJECT_REASONS.map((r) => `<option value="${r}">${t(`reject_${r}`)}</option>`).join('')}</select></label>
      <button type="button" class="danger desk" data-desk="reject">${t('move_reject')}</button>
      <br>
      <label>${t('mergeInto')}<input id="desk-merge-into" size="18"></label>
      <button type="button" class="primary desk" data-desk="merge">${t('move_merge')}</button>` : '';
  return `<div class="panel" id="desk-moves"><h2>${t('deskMoves')}</h2>
    <p class="note">${t('deskNote')}</p>
    <form id="desk-form">
      <label>${t('moveNote')}<input id="desk-text" size="40"></label><br>
      ${moves}${split}
    </form><p class="error" id="desk-error"></p></div>`;
}

function wireDesk(root, ticket, after) {
  const value = (id) => root.querySelector(id)?.value || '';
  root.querySelectorAll('button.desk').forEach((button) => {
    button.onclick = async () => {
      const text = value('#desk-text');
      const number = encodeURIComponent(ticket.number);
      const calls = {
        dispatch: () => post(`tickets/${number}/moves`, {
          action: 'dispatch', reason: text, unit_kind: value('#desk-unit-kind'), unit_code: value('#desk-unit-code'),
        }),
        reject: () => post(`tickets/${number}/reject`, { reason: value('#desk-reject-reason'), note: text }),
        merge: () => post(`tickets/${number}/merge`, { into: value('#desk-merge-into'), reason: text }),
        split: () => post(`tickets/${number}/split`, { reason: text }),
      };
      try {
        await calls[button.dataset.desk]();
        await after();
      } catch (err) {
        root.querySelector('#desk-error').textContent = err.message;
      }
    };
  });
}

// The moves each state allows (dispatch's state machine); who may make
// them is dispatch's to say.
const MOVES = {
  dispatched: ['accept', 'return'],
  accepted: ['start', 'resolve', 'return'],
  in_progress: ['resolve', 'return'],
  reopened: ['accept', 'return'],
  resolved: ['verify_true', 'verify_false'],
  verified: ['follow_up', 'close'],
  followed_up: ['close'],
};

function movesPanel(ticket) {
  const moves = MOVES[ticket.state] || [];
  if (!moves.length) return '';
  return `<div class="panel" id="moves"><h2>${t('moves')}</h2>
    <form id="move-form">
      <label>${t('moveNote')}<input id="move-text" size="40"></label>
      ${moves.includes('follow_up') ? `<label>${t('satisfaction')}<select id="move-satisfaction">${[5, 4, 3, 2, 1].map((n) => `<option>${n}</option>`).join('')}</select></label>` : ''}
      ${moves.map((m) => `<button type="button" class="${m === 'return' || m === 'verify_false' ? 'danger' : 'primary'} move" data-move="${m}">${t(`move_${m}`)}</button>`).join(' ')}
    </form><p class="error" id="move-error"></p></div>`;
}

function wireMoves(root, ticket, after) {
  root.querySelectorAll('button.move').forEach((button) => {
    button.onclick = async () => {
      const text = root.querySelector('#move-text').value;
      const move = button.dataset.move;
      const body = { action: move.startsWith('verify') ? 'verify' : move };
      if (move === 'resolve') body.result = text;
      if (move === 'return') { body.reason = text; body.return_reason = 'other'; }
      if (move === 'verify_true') body.verified_true = true;
      if (move === 'verify_false') body.reason = text;
      if (move === 'follow_up') body.satisfaction = Number(root.querySelector('#move-satisfaction').value);
      try {
        await post(`tickets/${encodeURIComponent(ticket.number)}/moves`, body);
        await after();
      } catch (err) {
        root.querySelector('#move-error').textContent = err.message;
      }
    };
  });
}
