// The desk queue (派单台: received, returned, unrouted; urgent first) and
// the ticket lists, as dispatch lists them to the signed-in caller: a
// village's staff get their village's tickets only.
import { get } from '../api.js';
import { t, when, stateName } from '../i18n.js';
import { table, esc } from '../dom.js';

export function columns() {
  return [
    { key: 'number', label: t('number'), cell: (r) => `<a href="#/ticket/${encodeURIComponent(r.number)}">${esc(r.number)}</a>${r.priority === 'urgent' ? ' <span class="badge urgent">急</span>' : ''}` },
    { key: 'channel', label: t('channel') },
    { key: 'category_code', label: t('category') },
    { key: 'title', label: t('titleCol') },
    { key: 'state', label: t('state'), cell: (r) => `<span class="badge">${esc(stateName(r.state))}</span>` },
    { key: 'village_code', label: t('village') },
    { key: 'assignee', label: t('assignee'), value: (r) => r.assignee?.code, cell: (r) => esc(r.assignee ? `${r.assignee.name || ''} ${r.assignee.code}` : '') },
    { key: 'received_at', label: t('receivedAt'), cell: (r) => esc(when(r.received_at)) },
    { key: 'due_at', label: t('dueAt'), cell: (r) => esc(when(r.due_at)) },
    { key: 'returns', label: t('returns'), num: true },
  ];
}

export async function render(main, _state, entry) {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const queue = entry.queue || params.get('queue') || 'all';
  const data = await get(`tickets?queue=${encodeURIComponent(queue)}`);
  const rows = data.tickets.map((r) => ({ ...r, __key: r.number }));
  const picker = entry.queue ? '' : `
    <label>${t('queue')}<select id="queue">
      ${['all', 'mine', 'overdue'].map((q) => `<option value="${q}" ${q === queue ? 'selected' : ''}>${t(`q${q[0].toUpperCase()}${q.slice(1)}`)}</option>`).join('')}
    </select></label>`;
  main.innerHTML = `<div class="panel"><h2>${t(entry.route)} <span class="note">${rows.length}</span></h2>${picker}
    ${rows.length ? table('ticket-table', columns(), rows) : `<p id="ticket-table">${t('none')}</p>`}</div>`;
  const select = main.querySelector('#queue');
  if (select) select.onchange = () => { location.hash = `#/tickets?queue=${select.value}`; };
}
