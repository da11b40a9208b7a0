// 一张总览图: the micro-grids drawn from the registry's own polygons
// (ECharts' map series over the GeoJSON; no tile server), coloured by the
// open tickets in each or its unit's on-time rate; over them the covered
// objects (registry) and the cameras (video ingest) as layers, each within
// the signed-in staff member's scope.
import * as echarts from '../vendor/echarts.esm.min.js';
import { get } from '../api.js';
import { t, percent } from '../i18n.js';
import { esc } from '../dom.js';

const MAP = 'weigrid-micro-grids';

export async function render(main) {
  const [data, layers] = await Promise.all([get('map'), get('map/layers')]);
  echarts.registerMap(MAP, data.geojson);
  const features = data.geojson.features || [];
  main.innerHTML = `
    <div class="panel">
      <h2>${t('map')} <span class="note" id="map-count">${features.length} ${t('microGrids')}</span></h2>
      <label>${t('colourBy')}<select id="colour-by">
        <option value="open">${t('openTickets')}</option>
        <option value="rate">${t('onTimeRate')}</option>
      </select></label>
      <span class="note" id="map-layers" data-objects="${layers.objects.length}" data-cameras="${layers.cameras.length}">
        ${layers.objects_shown ? `${t('objects')} ${layers.objects.length}` : t('noObjects')} ·
        ${layers.cameras_shown ? `${t('cameras')} ${layers.cameras.length}` : t('noCameras')}
        ${layers.scope ? ` · ${t('scope')}: ${esc(layers.scope)}` : ''}</span>
      <div id="map-chart"></div>
    </div>`;
  const chart = echarts.init(main.querySelector('#map-chart'), null, { renderer: 'canvas' });
  window.weigridConsole.echarts = echarts;
  window.weigridConsole.mapChart = chart;
  window.weigridConsole.mapLayers = layers;
  const objectPoints = layers.objects.map((o) => ({ name: o.name, value: [...o.at, 1], code: o.code, kind: o.kind, highRisk: o.high_risk, grid: o.micro_grid_code }));
  const cameraPoints = layers.cameras.map((c) => ({ name: c.name, value: [...c.at, 1], code: c.channel_id, kind: c.kind, status: c.status, grid: c.grid_code }));
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
        min: 0, max, calculable: true, left: 10, bottom: 10, seriesIndex: 0,
        text: by === 'open' ? [t('openTickets'), ''] : [t('onTimeRate'), ''],
        inRange: { color: by === 'open' ? ['#e0f2e9', '#f6c667', '#d64545'] : ['#d64545', '#f6c667', '#2e9e5b'] },
      },
      geo: {
        map: MAP, nameProperty: 'code', roam: true,
        itemStyle: { borderColor: '#5b6b7b', borderWidth: 0.5, areaColor: '#eef1f4' },
        emphasis: { label: { show: true, formatter: (p) => p.name } },
      },
      legend: { top: 10, right: 10, data: [t('objects'), t('cameras')] },
      series: [{
        type: 'map', map: MAP, nameProperty: 'code', geoIndex: 0, data: rows,
      }, {
        type: 'scatter', coordinateSystem: 'geo', name: t('objects'), symbol: 'diamond', symbolSize: 7,
        itemStyle: { color: '#5b4bb7' }, data: objectPoints, z: 3,
        tooltip: { formatter: (p) => `${esc(p.data.name)} (${esc(p.data.code)})<br>${esc(p.data.kind)}${p.data.highRisk ? ` · ${t('highRisk')}` : ''}` },
      }, {
        type: 'scatter', coordinateSystem: 'geo', name: t('cameras'), symbol: 'triangle', symbolSize: 8,
        itemStyle: { color: '#0b7285' }, data: cameraPoints, z: 4,
        tooltip: { formatter: (p) => `${esc(p.data.name)} (${esc(p.data.code)})<br>${esc(p.data.kind)} · ${esc(p.data.status)}` },
      }],
    }, true);
  };
  draw('open');
  main.querySelector('#colour-by').onchange = (e) => draw(e.target.value);
}
