// 时效看板, as the published 12345 boards show it: per unit the figures of
// dispatch's GetStatistics (computed from the legs; data-value holds the
// raw figure, empty when there is none), with the open tickets' overdue
// count and backlog ageing beside them; for the town the places reported
// more than once and the rising categories. A unit with no case says
// "无案件 no cases" and shows no rate, never 100 %.
import * as echarts from '../vendor/echarts.esm.min.js';
import { get } from '../api.js';
import { t, both, percent } from '../i18n.js';
import { table, shanghaiDate, esc } from '../dom.js';

const noCases = () => `<span class="nocase">${esc(both('noCases'))}</span>`;

/** A rate column: the percentage, "no cases" for a unit without any, "—"
 * when nothing was judged for it. */
const rateColumn = (key, label) => ({
  key, label: both(label), num: true,
  cell: (r) => (r.has_cases ? percent(r[key]) : noCases()),
});

/** An interval column: average / p90, or "—". */
const intervalColumn = (key, label) => ({
  key, label: both(label), num: true,
  value: (r) => (r[key] ? `${r[key].avg}/${r[key].p90}` : ''),
  cell: (r) => (r[key] ? `${r[key].avg.toFixed(1)} / ${r[key].p90.toFixed(1)}` : '—'),
});

function unitLabel(r) {
  const name = r.name ? `${esc(r.name)} ` : '';
  return `${name}<span class="note">${esc(r.key)}</span>${r.has_cases ? '' : ` ${noCases()}`}`;
}

function boardTable(board) {
  const rows = [
    ...board.units.map((u) => ({ ...u, __key: u.key })),
    { ...board.total, key: '', __key: '' },
  ];
  return table('sla-table', [
    { key: 'key', label: both('unit'), cell: (r) => (r.__key ? unitLabel(r) : esc(both('total'))) },
    { key: 'has_cases', label: '', value: (r) => String(r.has_cases), cell: () => '' },
    { key: 'received', label: both('received'), num: true },
    rateColumn('on_time_signing_rate', 'signingRate'),
    rateColumn('on_time_resolution_rate', 'resolutionRate'),
    { key: 'overdue_now', label: both('overdueNow'), num: true },
    rateColumn('actually_solved_rate', 'solvedRate'),
    rateColumn('satisfaction_rate', 'satisfactionRate'),
    { key: 'returns', label: both('returns'), num: true },
    rateColumn('return_rate', 'returnRate'),
    { key: 'transfers', label: both('transfers'), num: true },
    rateColumn('transfers_per_ticket', 'transfersPerTicket'),
    rateColumn('closure_rate', 'closureRate'),
    intervalColumn('minutes_to_sign', 'toSign'),
    intervalColumn('hours_sign_to_resolve', 'signToResolve'),
    { key: 'extensions', label: both('extensions'), num: true },
    { key: 'escalations', label: both('escalations'), num: true },
  ], rows);
}

function repeatTable(places) {
  if (!places.length) return `<p id="repeat-table">${esc(both('none'))}</p>`;
  return table('repeat-table', [
    { key: 'micro_grid_code', label: both('microGrid') },
    { key: 'village_code', label: both('village') },
    { key: 'reports', label: both('reports'), num: true },
    { key: 'merged', label: both('mergedCol'), num: true },
    { key: 'categories', label: both('category'), value: (p) => p.categories.map((c) => c.code).join(' '), cell: (p) => esc(p.categories.map((c) => c.name || c.code).join('、')) },
    {
      key: 'ticket_numbers', label: both('number'), value: (p) => p.ticket_numbers.join(' '),
      cell: (p) => p.ticket_numbers.map((n) => `<a href="#/ticket/${encodeURIComponent(n)}">${esc(n)}</a>`).join(' '),
    },
  ], places.map((p, i) => ({ ...p, __key: String(i) })));
}

const unitName = (u) => (u.name ? `${u.name} ${u.key}` : u.key);

function drawCharts(main, board) {
  const judged = board.units.filter((u) => u.has_cases && (u.signing_judged > 0 || u.resolution_judged > 0));
  const charts = {};
  charts.onTime = echarts.init(main.querySelector('#rate-chart'));
  charts.onTime.setOption({
    tooltip: { trigger: 'axis', valueFormatter: (v) => percent(v) },
    legend: { data: [both('signingRate'), both('resolutionRate')] },
    grid: { left: 150, right: 20 },
    xAxis: { type: 'value', max: 1, axisLabel: { formatter: (v) => `${Math.round(v * 100)}%` } },
    yAxis: { type: 'category', data: judged.map(unitName) },
    series: [
      { name: both('signingRate'), type: 'bar', data: judged.map((u) => u.on_time_signing_rate), itemStyle: { color: '#2e7bc4' } },
      { name: both('resolutionRate'), type: 'bar', data: judged.map((u) => u.on_time_resolution_rate), itemStyle: { color: '#1f9d55' } },
    ],
  });
  charts.ageing = echarts.init(main.querySelector('#ageing-chart'));
  charts.ageing.setOption({
    tooltip: {}, xAxis: { type: 'category', data: board.ageing.map((b) => b.bucket) }, yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'bar', data: board.ageing.map((b) => b.tickets), itemStyle: { color: '#d97706' } }],
  });
  const returned = board.units.filter((u) => u.has_cases && u.legs > 0);
  charts.returns = echarts.init(main.querySelector('#returns-chart'));
  charts.returns.setOption({
    tooltip: { valueFormatter: (v) => percent(v) }, grid: { left: 150, right: 20 },
    xAxis: { type: 'value', max: 1, axisLabel: { formatter: (v) => `${Math.round(v * 100)}%` } },
    yAxis: { type: 'category', data: returned.map(unitName) },
    series: [{ type: 'bar', data: returned.map((u) => u.return_rate), itemStyle: { color: '#b3261e' } }],
  });
  const rising = board.rising_categories;
  charts.rising = echarts.init(main.querySelector('#rising-chart'));
  charts.rising.setOption({
    tooltip: { trigger: 'axis' }, legend: { data: [both('thisPeriod'), both('previousPeriod')] },
    xAxis: { type: 'category', data: rising.map((c) => c.category.name || c.category.code) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: both('thisPeriod'), type: 'bar', data: rising.map((c) => c.this_period), itemStyle: { color: '#7c3aed' } },
      { name: both('previousPeriod'), type: 'bar', data: rising.map((c) => c.previous_period), itemStyle: { color: '#a0aec0' } },
    ],
  });
  window.weigridConsole.slaCharts = charts;
}

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
    main.innerHTML = `
      <div class="panel" id="sla-panel" data-period="${esc(from)}/${esc(to)}"><h2>${esc(both('sla'))}</h2>${form}
        <p class="note">${t('boardNote')}</p>
        <p class="note"><span id="open-count" data-value="${board.open_tickets}">${esc(both('openCount'))}: ${board.open_tickets}</span> ·
          <span id="overdue-elsewhere" data-value="${board.overdue_elsewhere}">${esc(both('overdueElsewhere'))}: ${board.overdue_elsewhere}</span></p>
        <div class="scroll">${boardTable(board)}</div></div>
      <div class="row">
        <div class="panel"><h2>${esc(both('onTimeByUnit'))}</h2><div class="chart" id="rate-chart"></div></div>
        <div class="panel"><h2>${esc(both('returnsByUnit'))}</h2><div class="chart" id="returns-chart"></div></div>
      </div>
      <div class="row">
        <div class="panel"><h2>${esc(both('ageing'))}</h2><div class="chart" id="ageing-chart"></div></div>
        <div class="panel"><h2>${esc(both('risingCategories'))}</h2><div class="chart" id="rising-chart"></div></div>
      </div>
      <div class="panel"><h2>${esc(both('repeatPlaces'))} <span class="note">${board.repeat_places.length}</span></h2>${repeatTable(board.repeat_places)}</div>`;
    drawCharts(main, board);
  }
  main.querySelector('#period').onsubmit = (event) => {
    event.preventDefault();
    location.hash = `#/sla?from=${main.querySelector('#from').value}&to=${main.querySelector('#to').value}`;
  };
}
