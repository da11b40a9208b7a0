// The console in a real browser: Debian's Chromium, headless, driven by
// playwright-core (no browser download). The system test
// (tests/tests/edge_http/console.rs) starts the stack, runs this script
// with what it made, and checks what this prints (one JSON object on
// stdout) against the services' own answers over gRPC.
//
// Environment: CONSOLE_URL (…/console/), CHROMIUM (the executable),
// SHOTS (the screenshots' directory), PERIOD_FROM / PERIOD_TO (the SLA
// board's period, YYYY-MM-DD), EXTENSION_ID (a pending request to
// approve), VILLAGE (the workstation to sign in as), OTHER_TICKET (a ticket
// of another village), RETURNED_TICKET (one handed back to the desk).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const base = env('CONSOLE_URL');
const shots = env('SHOTS');
mkdirSync(shots, { recursive: true });
const seen = { screenshots: [], console_errors: [] };

// The map's layers, the annual report, the footage disclosure review and a
// ticket signed for from its page: DISCLOSURE (an application waiting for
// the review), YEAR, LEADER_SCOPE (a micro-grid's leader) and MOVE_TICKET
// (a ticket dispatched to them). The applicant shows masked, and whole
// after 查看身份 (show identity).
async function flows(page, { base, shot, ready, devSignIn }) {
  const found = {};
  await page.goto(base);
  await devSignIn('town_operator', '', 'desk');
  await ready('map');
  await page.waitForFunction(() => window.weigridConsole.mapChart);
  await page.waitForTimeout(800);
  Object.assign(found, await page.evaluate(() => {
    const option = window.weigridConsole.mapChart.getOption();
    const cameras = option.series.find((s) => s.type === 'scatter' && s.symbol === 'triangle');
    return { map_cameras: cameras.data.length, map_camera_at: cameras.data[0]?.value.slice(0, 2) };
  }));
  await page.evaluate(() => {
    // Zoom to the camera's micro-grid so its marker shows in the picture.
    const { mapChart, mapLayers } = window.weigridConsole;
    mapChart.setOption({ geo: { center: mapLayers.cameras[0].at, zoom: 6 } });
  });
  await shot('11-map-layers');

  await page.goto(`${base}#/annual?year=${env('YEAR')}`);
  await ready('annual');
  Object.assign(found, await page.evaluate(() => {
    const option = window.weigridConsole.annualCharts.months.getOption();
    return {
      annual_months: option.xAxis[0].data.length,
      annual_received: option.series[0].data.reduce((a, b) => a + b, 0),
    };
  }));
  await shot('12-annual-report');

  await page.click('a[data-route="disclosures"]');
  await ready('disclosures');
  const number = env('DISCLOSURE');
  found.disclosures_before = await page.$$eval('#disclosure-table tbody tr', (rows) => rows.map((r) => r.dataset.key));
  const applicant = `tr[data-key="${number}"] td[data-field="applicant"]`;
  found.applicant_masked = (await page.textContent(`${applicant} .identity`)).trim();
  await shot('13-disclosures');
  // The full identity only on the explicit, audited read.
  await page.click(`${applicant} button.show-identity`);
  await page.waitForSelector(`${applicant}[data-revealed="true"]`);
  found.applicant_revealed = (await page.textContent(`${applicant} .identity`)).trim();
  await shot('13-disclosure-identity');
  await page.click(`tr[data-key="${number}"] button.approve-viewing`);
  await page.waitForSelector(`tr[data-key="${number}"]`, { state: 'detached' });
  await page.click('#sign-out');

  await devSignIn('micro_grid_leader', env('LEADER_SCOPE'), 'leader');
  await ready('map');
  await page.goto(`${base}#/ticket/${encodeURIComponent(env('MOVE_TICKET'))}`);
  await ready('ticket');
  await page.click('button.move[data-move="accept"]');
  await page.waitForSelector('#ticket-state[data-value="accepted"]');
  found.moved_state = await page.getAttribute('#ticket-state', 'data-value');
  await shot('14-ticket-signed-for');
  return found;
}

const browser = await chromium.launch({
  executablePath: env('CHROMIUM'),
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  page.on('pageerror', (err) => seen.console_errors.push(String(err)));
  // The refusals this run provokes (401 before sign-in, another village's
  // 404, the approvals' 403) are the browser's resource messages, not errors
  // of the console's scripts.
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) seen.console_errors.push(msg.text());
  });
  const shot = async (name) => {
    // Charts animate for about a second after they are drawn.
    await page.waitForTimeout(1200);
    const path = join(shots, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    seen.screenshots.push(path);
  };
  const ready = (name) => page.waitForSelector(`main[data-ready="${name}"]`);
  const devSignIn = async (role, scope, name) => {
    await page.waitForSelector('#dev-sign-in');
    await page.selectOption('#dev-role', role);
    await page.fill('#dev-scope', scope);
    await page.fill('#dev-name', name);
    await page.click('#dev-submit');
  };

  // Sign in as the town centre's desk through the development sign-in.
  await page.goto(base);
  await page.waitForSelector('#dev-sign-in');
  seen.sign_in_title = await page.textContent('.signin h2');
  await shot('01-sign-in');
  await devSignIn('town_operator', '', 'desk');

  // The overview map: every micro-grid the chart holds.
  await ready('map');
  await page.waitForFunction(() => window.weigridConsole.mapChart);
  await page.waitForTimeout(800);
  seen.map = await page.evaluate(() => {
    const { mapChart, echarts } = window.weigridConsole;
    const option = mapChart.getOption();
    const registered = echarts.getMap('weigrid-micro-grids');
    const geo = registered.geoJSON || registered.geoJson;
    return {
      series_data: option.series[0].data.length,
      registered_features: geo.features.length,
      open: Object.fromEntries(option.series[0].data.filter((d) => d.value).map((d) => [d.name, d.value])),
    };
  });
  await shot('02-map-open-tickets');
  await page.selectOption('#colour-by', 'rate');
  await shot('03-map-on-time-rate');

  // The SLA board for the period given.
  await page.click('a[data-route="sla"]');
  await ready('sla');
  await page.fill('#from', env('PERIOD_FROM'));
  await page.fill('#to', env('PERIOD_TO'));
  await page.click('#period button');
  await page.waitForSelector(`main[data-ready="sla"] #sla-panel[data-period="${env('PERIOD_FROM')}/${env('PERIOD_TO')}"]`);
  seen.sla = await page.$$eval('#sla-table tbody tr', (rows) => rows.map((row) => {
    const cells = Object.fromEntries([...row.querySelectorAll('td')].map((td) => [td.dataset.field, td.dataset.value]));
    const shown = row.querySelector('td[data-field="on_time_signing_rate"]').textContent.trim();
    return { ...cells, key: row.dataset.key, signing_shown: shown };
  }));
  seen.sla_board = await page.evaluate(() => {
    const { rising } = window.weigridConsole.slaCharts;
    const option = rising.getOption();
    return {
      headers: [...document.querySelectorAll('#sla-table thead th')].map((th) => th.textContent),
      repeat_places: [...document.querySelectorAll('#repeat-table tbody tr')].map((tr) => tr.querySelector('td[data-field="ticket_numbers"]').dataset.value.split(' ')),
      rising: option.xAxis[0].data.map((name, i) => [name, option.series[0].data[i], option.series[1].data[i]]),
      open: Number(document.getElementById('open-count').dataset.value),
    };
  });
  await shot('04-sla-board');

  // The desk queue and a ticket's page.
  await page.click('a[data-route="desk"]');
  await ready('desk');
  seen.desk = await page.$$eval('#ticket-table tbody tr', (rows) => rows.map((r) => r.dataset.key));
  await shot('05-desk-queue');

  // Approve the pending extension request from the approvals page.
  await page.click('a[data-route="approvals"]');
  await ready('approvals');
  const extension = env('EXTENSION_ID');
  seen.pending_before = await page.$$eval('#extension-table tbody tr', (rows) => rows.map((r) => r.dataset.key));
  await shot('06-approvals');
  const number = await page.textContent(`tr[data-key="${extension}"] td[data-field="ticket_number"]`);
  await page.click(`tr[data-key="${extension}"] button.approve`);
  await page.waitForSelector(`tr[data-key="${extension}"]`, { state: 'detached' });
  seen.pending_after = await page.$$eval('#extension-table tbody tr', (rows) => rows.map((r) => r.dataset.key));
  await page.goto(`${base}#/ticket/${encodeURIComponent(number.trim())}`);
  await ready('ticket');
  seen.ticket_page = {
    number: (await page.textContent('#ticket-number')).split(' ')[0],
    history: await page.$$eval('#history-table tbody tr', (rows) => rows.length),
    legs: await page.$$eval('#legs-table tbody tr', (rows) => rows.length),
    extension_states: await page.$$eval('#ticket-extensions td[data-field="state"]', (cells) => cells.map((c) => c.dataset.value)),
  };
  await shot('07-ticket');

  // The desk queue: the ticket handed back waits at the desk, and is
  // dispatched again from its page, along the responsibility chain.
  await page.click('a[data-route="desk"]');
  await ready('desk');
  seen.desk_queue = await page.$$eval('#ticket-table tbody tr', (rows) => rows.map((r) => r.dataset.key));
  await page.goto(`${base}#/ticket/${encodeURIComponent(env('RETURNED_TICKET'))}`);
  await ready('ticket');
  await shot('07b-desk-ticket');
  await page.click('button.desk[data-desk="dispatch"]');
  await page.waitForSelector('#ticket-state[data-value="dispatched"]');
  seen.redispatched = await page.getAttribute('#ticket-state', 'data-value');
  await shot('07c-desk-dispatched');

  // English, then sign out.
  await page.click('#lang');
  await ready('ticket');
  seen.english_nav = await page.textContent('a[data-route="map"]');
  await shot('08-ticket-english');
  await page.click('#lang');
  await page.click('#sign-out');

  // A village's workstation sees its own village's tickets only.
  const village = env('VILLAGE');
  await devSignIn('workstation_staff', village, 'village');
  await ready('map');
  await page.click('a[data-route="tickets"]');
  await ready('tickets');
  seen.village = {
    nav: await page.$$eval('#nav a', (links) => links.map((a) => a.dataset.route)),
    tickets: await page.$$eval('#ticket-table tbody tr', (rows) => rows.map((r) => r.dataset.key)),
    villages: await page.$$eval('#ticket-table td[data-field="village_code"]', (cells) => [...new Set(cells.map((c) => c.dataset.value))]),
  };
  await shot('09-village-tickets');
  seen.village.other_ticket_status = await page.evaluate(async (other) => {
    const response = await fetch(`/console/api/tickets/${encodeURIComponent(other)}`);
    return response.status;
  }, env('OTHER_TICKET'));
  seen.village.approvals_status = await page.evaluate(async () => (await fetch('/console/api/extensions')).status);
  await page.goto(`${base}#/ticket/${encodeURIComponent(env('OTHER_TICKET'))}`);
  await ready('ticket');
  seen.village.other_ticket_page = await page.textContent('main');
  await shot('10-village-other-ticket');
  // Without the cookie nothing is served.
  await context.clearCookies();
  seen.signed_out_status = await page.evaluate(async () => (await fetch('/console/api/tickets')).status);

  seen.flows = await flows(page, { base, shot, ready, devSignIn });
} finally {
  await browser.close();
}
process.stdout.write(`${JSON.stringify(seen)}\n`);
