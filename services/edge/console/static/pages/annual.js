// 年度报告: a year of dispatch's GetStatistics as charts — month by month
// the tickets received and closed with the on-time, closure and
// satisfaction rates, and the year by channel and by village.
import * as echarts from '../vendor/echarts.esm.min.js';
import { get } from '../api.js';
import { t, percent } from '../i18n.js';
import { table, shanghaiDate, esc } from '../dom.js';

export async function render(main) {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const year = params.get('year') || shanghaiDate().slice(0, 4);
  const data = await get(`annual-report?year=${encodeURIComponent(year)}`);
  // A month or group without tickets has no rates (not 0 %, not 100 %).
  const RATES = ['on_time_rate', 'closure_rate', 'satisfaction_rate'];
  for (const row of [data.total, ...data.months, ...data.channels, ...data.villages]) {
    if (!row.received) RATES.forEach((key) => { row[key] = null; });
    if (!row.rated) row.satisfaction_rate = null;
  }
  const rate = (key) => ({ key, num: true, cell: (r) => percent(r[key]) });
  const columns = (first) => [
    { key: 'key', label: first },
    { key: 'received', label: t('received'), num: true },
    { key: 'closed', label: t('closed'), num: true },
    { ...rate('on_time_rate'), label: t('onTimeRate') },
    { ...rate('closure_rate'), label: t('closureRate') },
    { ...rate('satisfaction_rate'), label: t('satisfactionRate') },
    { key: 'returns', label: t('returns'), num: true },
    { key: 'escalations', label: t('escalations'), num: true },
  ];
  const keyed = (rows) => rows.map((r) => ({ ...r, __key: r.key }));
  main.innerHTML = `
    <div class="panel" id="annual-panel" data-year="${esc(data.year)}"><h2>${t('annual')} ${esc(data.year)}
      <span class="note">${t('received')} ${data.total.received} · ${t('closed')} ${data.total.closed} · ${t('onTimeRate')} ${percent(data.total.on_time_rate)}</span></h2>
      <form id="annual-year"><label>${t('year')}<input id="year" type="number" min="2000" max="2100" value="${esc(data.year)}"></label>
      <button class="primary" type="submit">${t('show')}</button></form>
      <div class="chart" id="annual-months-chart"></div></div>
    <div class="row">
      <div class="panel"><h2>${t('byChannel')}</h2><div class="chart" id="annual-channels-chart"></div></div>
      <div class="panel"><h2>${t('byVillage')}</h2><div class="chart" id="annual-villages-chart"></div></div>
    </div>
    <div class="panel"><h2>${t('byMonth')}</h2>${table('annual-months', columns(t('month')), keyed(data.months))}</div>
    <div class="panel"><h2>${t('byChannel')}</h2>${table('annual-channels', columns(t('channel')), keyed(data.channels))}</div>`;
  main.querySelector('#annual-year').onsubmit = (e) => { e.preventDefault(); location.hash = `#/annual?year=${main.querySelector('#year').value}`; };
  const months = data.months.map((m) => m.key);
  const charts = {
    months: echarts.init(main.querySelector('#annual-months-chart')),
    channels: echarts.init(main.querySelector('#annual-channels-chart')),
    villages: echarts.init(main.querySelector('#annual-villages-chart')),
  };
  window.weigridConsole.annualCharts = charts;
  charts.months.setOption({
    tooltip: { trigger: 'axis' }, legend: {},
    xAxis: { type: 'category', data: months },
    yAxis: [{ type: 'value', name: t('tickets') }, { type: 'value', max: 1, axisLabel: { formatter: (v) => `${v * 100}%` } }],
    series: [
      { type: 'bar', name: t('received'), data: data.months.map((m) => m.received) },
      { type: 'bar', name: t('closed'), data: data.months.map((m) => m.closed) },
      { type: 'line', name: t('onTimeRate'), yAxisIndex: 1, data: data.months.map((m) => m.on_time_rate) },
      { type: 'line', name: t('closureRate'), yAxisIndex: 1, data: data.months.map((m) => m.closure_rate) },
      { type: 'line', name: t('satisfactionRate'), yAxisIndex: 1, data: data.months.map((m) => m.satisfaction_rate) },
    ],
  });
  charts.channels.setOption({
    tooltip: { trigger: 'item' }, legend: { bottom: 0 },
    series: [{ type: 'pie', radius: ['35%', '65%'], data: data.channels.map((c) => ({ name: c.key, value: c.received })) }],
  });
  charts.villages.setOption({
    tooltip: { trigger: 'axis' }, grid: { bottom: 80 },
    xAxis: { type: 'category', data: data.villages.map((v) => v.key), axisLabel: { rotate: 40 } },
    yAxis: { type: 'value' },
    series: [{ type: 'bar', name: t('received'), data: data.villages.map((v) => v.received) }],
  });
}
