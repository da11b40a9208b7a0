// 审批: the pending extension requests (延期), oldest first; the desk
// grants or refuses each here (DecideExtension with the desk's own token).
import { get, post } from '../api.js';
import { t, when } from '../i18n.js';
import { table, esc } from '../dom.js';

/** Returns the approve and refuse controls of extension request `r`. */
export function decisionButtons(r) {
  return `<span class="decision" data-extension="${esc(r.id)}">
    <input class="refuse-reason" placeholder="${t('reason')}" size="14">
    <button type="button" class="primary approve">${t('approve')}</button>
    <button type="button" class="danger refuse">${t('refuse')}</button></span>`;
}

/** Wires the controls under `root`; `after` runs once a decision is made. */
export function wireDecisions(root, after) {
  root.querySelectorAll('.decision').forEach((box) => {
    const decide = async (grant) => {
      const reason = box.querySelector('.refuse-reason').value;
      try {
        await post(`extensions/${encodeURIComponent(box.dataset.extension)}/decision`, { grant, reason });
        await after();
      } catch (err) {
        box.insertAdjacentHTML('beforeend', `<span class="error">${esc(err.message)}</span>`);
      }
    };
    box.querySelector('.approve').onclick = () => decide(true);
    box.querySelector('.refuse').onclick = () => decide(false);
  });
}

export async function render(main) {
  const data = await get('extensions');
  const rows = data.extensions.map((e) => ({ ...e, __key: e.id }));
  main.innerHTML = `<div class="panel"><h2>${t('pendingExtensions')} <span class="note">${rows.length}</span></h2>
    ${rows.length ? table('extension-table', [
      { key: 'ticket_number', label: t('number'), cell: (r) => `<a href="#/ticket/${encodeURIComponent(r.ticket_number)}">${esc(r.ticket_number)}</a>` },
      { key: 'days', label: t('days'), num: true },
      { key: 'reason', label: t('reason') },
      { key: 'requested_by', label: t('requestedBy') },
      { key: 'requested_at', label: t('requestedAt'), cell: (r) => esc(when(r.requested_at)) },
      { key: 'id', label: '', cell: decisionButtons },
    ], rows) : `<p id="extension-table">${t('none')}</p>`}</div>`;
  wireDecisions(main, () => render(main));
}
