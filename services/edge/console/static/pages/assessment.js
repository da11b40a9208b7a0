// 村居考核: each village's three indicators and score over a period, as
// dispatch's GetAssessment gives them.
import * as echarts from '../vendor/echarts.esm.min.js';
import { get } from '../api.js';
import { t } from '../i18n.js';
import { table, shanghaiDate } from '../dom.js';

export async function render(main) {
  const from = `${shanghaiDate().slice(0, 4)}-01-01`;
  const data = await get(`assessment?from=${from}&to=${shanghaiDate(1)}`);
  const villages = data.villages;
  const fixed = (key) => ({ key, num: true, cell: (r) => r[key].toFixed(1) });
  main.innerHTML = `
    <div class="panel"><h2>${t('assessment')} <span class="note">${from} — ${shanghaiDate()}</span></h2>
      <div class="chart" id="assessment-chart" style="height:420px"></div></div>
    <div class="panel">${table('assessment-table', [
      { key: 'village_name', label: t('village') },
      { ...fixed('five_chief_score'), label: t('fiveChief') },
      { ...fixed('unified_management_score'), label: t('unified') },
      { ...fixed('safety_score'), label: t('safety') },
      { ...fixed('score'), label: t('score') },
      { ...fixed('weighted'), label: t('weighted') },
      { key: 'tickets', label: t('tickets'), num: true },
    ], villages.map((v) => ({ ...v, __key: v.village_code })))}</div>`;
  echarts.init(main.querySelector('#assessment-chart')).setOption({
    tooltip: { trigger: 'axis' }, legend: {}, grid: { bottom: 90 },
    xAxis: { type: 'category', data: villages.map((v) => v.village_name), axisLabel: { rotate: 40 } },
    yAxis: { type: 'value', max: 100 },
    series: [
      ['five_chief_score', 'fiveChief'], ['unified_management_score', 'unified'], ['safety_score', 'safety'],
    ].map(([key, word]) => ({ type: 'bar', name: t(word), data: villages.map((v) => v[key]) }))
      .concat([{ type: 'line', name: t('score'), data: villages.map((v) => v.score) }]),
  });
}
