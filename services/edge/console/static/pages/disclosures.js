// 依申请公开审批: the footage applications waiting for the review (the
// applicants masked, as video ingest lists them); the town centre or the
// police station approves each as a supervised viewing (查看) or a redacted
// copy (脱敏复制), or refuses it with a reason (ReviewApplication with the
// reviewer's own token; every decision is on video ingest's access log).
// The applicant's full identity shows only on 查看身份 (show identity):
// that click is the read for the review, which video ingest grants to the
// town centre and the police and writes on its access log; nothing of it
// is kept once the page is left.
import { get, post } from '../api.js';
import { t, when, stateName } from '../i18n.js';
import { table, esc } from '../dom.js';

function reviewButtons(r) {
  return `<span class="review" data-application="${esc(r.number)}">
    <button type="button" class="primary approve-viewing">${t('approveViewing')}</button>
    <button type="button" class="primary approve-copy">${t('approveCopy')}</button>
    <input class="refuse-reason" placeholder="${t('reason')}" size="14">
    <button type="button" class="danger refuse">${t('refuse')}</button></span>`;
}

export async function render(main) {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const state = params.get('state') || 'submitted';
  const data = await get(`disclosures?state=${encodeURIComponent(state)}`);
  const rows = data.applications.map((a) => ({ ...a, __key: a.number }));
  const picker = `<label>${t('state')}<select id="disclosure-state">
    ${['submitted', 'approved', 'refused', 'all'].map((s) => `<option value="${s}" ${s === state ? 'selected' : ''}>${esc(stateName(s))}</option>`).join('')}
  </select></label>`;
  main.innerHTML = `<div class="panel"><h2>${t('disclosures')} <span class="note">${rows.length}</span></h2>${picker}
    <p class="note">${t('disclosureNote')}</p>
    ${rows.length ? table('disclosure-table', [
      { key: 'number', label: t('number') },
      {
        key: 'applicant', label: t('applicant'), value: (r) => r.applicant.name,
        cell: (r) => `<span class="identity">${esc(`${r.applicant.name} ${r.applicant.phone}`)}</span>
          <button type="button" class="show-identity" data-application="${esc(r.number)}" title="${esc(t('identityNote'))}">${esc(t('showIdentity'))}</button>`,
      },
      { key: 'purpose', label: t('purpose'), cell: (r) => esc(`${t(`purpose_${r.purpose}`)}${r.purpose_detail ? `：${r.purpose_detail}` : ''}`) },
      { key: 'channel_ids', label: t('cameras'), value: (r) => r.channel_ids.join(' '), cell: (r) => esc(r.channel_ids.join(', ')) },
      { key: 'starts_at', label: t('window'), cell: (r) => esc(`${when(r.starts_at)} — ${when(r.ends_at)}`) },
      { key: 'dispute_ticket', label: t('disputeTicket') },
      { key: 'state', label: t('state'), cell: (r) => esc(stateName(r.state)) + (r.decision ? ` · ${esc(t(`decision_${r.decision}`))}` : '') + (r.refusal_reason ? ` · ${esc(r.refusal_reason)}` : '') },
      { key: 'submitted_at', label: t('requestedAt'), cell: (r) => esc(when(r.submitted_at)) },
      { key: 'id', label: '', cell: (r) => (r.state === 'submitted' ? reviewButtons(r) : '') },
    ], rows) : `<p id="disclosure-table">${t('none')}</p>`}</div>`;
  main.querySelectorAll('button.show-identity').forEach((button) => {
    button.onclick = async () => {
      const cell = button.closest('td');
      try {
        const read = await post(`disclosures/${encodeURIComponent(button.dataset.application)}/identity`);
        const a = read.applicant;
        cell.querySelector('.identity').textContent = `${a.name} ${a.id_number} ${a.phone}`;
        cell.dataset.revealed = 'true';
        button.remove();
      } catch (err) {
        cell.insertAdjacentHTML('beforeend', `<span class="error">${esc(err.message)}</span>`);
      }
    };
  });
  main.querySelector('#disclosure-state').onchange = (e) => { location.hash = `#/disclosures?state=${e.target.value}`; };
  main.querySelectorAll('.review').forEach((box) => {
    const review = async (body) => {
      try {
        await post(`disclosures/${encodeURIComponent(box.dataset.application)}/review`, body);
        await render(main);
      } catch (err) {
        box.insertAdjacentHTML('beforeend', `<span class="error">${esc(err.message)}</span>`);
      }
    };
    box.querySelector('.approve-viewing').onclick = () => review({ approve: 'viewing' });
    box.querySelector('.approve-copy').onclick = () => review({ approve: 'copy' });
    box.querySelector('.refuse').onclick = () => review({ refuse: box.querySelector('.refuse-reason').value });
  });
}
