// 时效看板: per unit the figures of dispatch's GetStatistics, shown as
// given (data-value holds the raw figure), with the open tickets' overdue
// count and backlog ageing beside them.
import * as echarts from '../vendor/echarts.esm.min.js';
import { get } from '../api.js';
import { t, percent } from '../i18n.js';
import { table, shanghaiDate, esc } from '../dom.js';

export async function render(main) {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const from = params.get('from') || `${shanghaiDate().slice(0, 4)}-01-01`;
  const to = params.get('to') || shanghaiDate(1);
  const data = await get(`sla?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
  const form = `
    <form id="period">
      <label>${t('from')}<input type="date" id="from" value="${esc(from)}"></label>
      <label>${t('to')}<input type="date" id="to" value="${esc(to)}"></label>
      <button class="primary" type="submit">${t('show')}</button>
    </form>`;
  if (!data.board) {
    main.innerHTML = `<div class="panel"><h2>${t('sla')}</h2>${form}<p id="no-stats">${t('noStats')}</p></div>`;
  } else {
    const board = data.board;
    const rows = [...board.units.map((u) => ({ ...u, __key: u.key })), { ...board.total, key: t('total'), __key: '' }];
    const columns = [
      { key: 'key', label: t('unit') },
      { key: 'received', label: t('received'), num: true },
      { key: 'dispatched', label: t('dispatched'), num: true },
      { key: 'closed', label: t('closed'), num: true },
      { key: 'on_time_rate', label: t('onTimeRate'), num: true, cell: (r) => percent(r.on_time_rate) },
      { key: 'returns', label: t('returns'), num: true },
      { key: 'returns_per_ticket', label: t('returnsPerTicket'), num: true, cell: (r) => r.returns_per_ticket === null ? '—' : r.returns_per_ticket.toFixed(2) },
      { key: 'extensions', label: t('extensions'), num: true },
      { key: 'escalations', label: t('escalations'), num: true },
      { key: 'overdue_now', label: t('overdueNow'), num: true },
    ];
    main.innerHTML = `
      <div class="panel" id="sla-panel" data-period="${esc(from)}/${esc(to)}"><h2>${t('sla')}</h2>${form}<p class="note">${t('fromStats')}</p>
        ${table('sla-table', columns, rows)}</div>
      <div class="row">
        <div class="panel"><h2>${t('onTimeRate')}</h2><div class="chart" id="rate-chart"></div></div>
        <div class="panel"><h2>${t('ageing')}</h2><div class="chart" id="ageing-chart"></div></div>
      </div>`;
    const units = board.units.filter((u) => u.dispatched > 0);
    echarts.init(document.getElementById('rate-chart')).setOption({
      tooltip: {}, grid: { left: 110, right: 20 },
      xAxis: { type: 'value', max: 1, axisLabel: { formatter: (v) => `${v * 100}%` } },
      yAxis: { type: 'category', data: units.map((u) => u.key) },
      series: [{ type: 'bar', data: units.map((u) => u.on_time_rate), itemStyle: { color: '#2e7bc4' } }],
    });
    echarts.init(document.getElementById('ageing-chart')).setOption({
      tooltip: {}, xAxis: { type: 'category', data: board.ageing.map((b) => b.bucket) }, yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', data: board.ageing.map((b) => b.tickets), itemStyle: { color: '#d97706' } }],
    });
  }
  document.getElementById('period').onsubmit = (event) => {
    event.preventDefault();
    location.hash = `#/sla?from=${document.getElementById('from').value}&to=${document.getElementById('to').value}`;
  };
}
