// 一张总览图: the micro-grids drawn from the registry's own polygons
// (ECharts' map series over the GeoJSON; no tile server), coloured by the
// open tickets in each or its unit's on-time rate.
import * as echarts from '../vendor/echarts.esm.min.js';
import { get } from '../api.js';
import { t, percent } from '../i18n.js';
import { esc } from '../dom.js';

const MAP = 'weigrid-micro-grids';

export async function render(main) {
  const data = await get('map');
  echarts.registerMap(MAP, data.geojson);
  const features = data.geojson.features || [];
  main.innerHTML = `
    <div class="panel">
      <h2>${t('map')} <span class="note" id="map-count">${features.length} ${t('microGrids')}</span></h2>
      <label>${t('colourBy')}<select id="colour-by">
        <option value="open">${t('openTickets')}</option>
        <option value="rate">${t('onTimeRate')}</option>
      </select></label>
      <div id="map-chart"></div>
    </div>`;
  const chart = echarts.init(document.getElementById('map-chart'), null, { renderer: 'canvas' });
  window.weigridConsole.echarts = echarts;
  window.weigridConsole.mapChart = chart;
  const draw = (by) => {
    const rows = features.map((f) => {
      const code = f.properties.code;
      const rate = data.on_time_rate[code];
      return {
        name: code,
        grid: f.properties.name,
        value: by === 'open' ? (data.open_tickets[code] || 0) : (rate === undefined ? null : rate),
      };
    });
    const max = by === 'open' ? Math.max(1, ...rows.map((r) => r.value || 0)) : 1;
    chart.setOption({
      tooltip: {
        formatter: (p) => `${esc(p.data?.grid || '')} (${esc(p.name)})<br>${by === 'open'
          ? `${t('openTickets')}: ${p.data?.value ?? 0}` : `${t('onTimeRate')}: ${percent(p.data?.value)}`}`,
      },
      visualMap: {
        min: 0, max, calculable: true, left: 10, bottom: 10,
        text: by === 'open' ? [t('openTickets'), ''] : [t('onTimeRate'), ''],
        inRange: { color: by === 'open' ? ['#e0f2e9', '#f6c667', '#d64545'] : ['#d64545', '#f6c667', '#2e9e5b'] },
      },
      series: [{
        type: 'map', map: MAP, nameProperty: 'code', roam: true,
        itemStyle: { borderColor: '#5b6b7b', borderWidth: 0.5, areaColor: '#eef1f4' },
        emphasis: { label: { show: true, formatter: (p) => p.data?.grid || p.name } },
        data: rows,
      }],
    }, true);
  };
  draw('open');
  document.getElementById('colour-by').onchange = (e) => draw(e.target.value);
}
