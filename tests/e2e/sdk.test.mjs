// The published @bklit/sdk@1.0.1, unchanged, in headless system Chromium against the real
// binary: a landing page with a UTM tag, two SPA navigations, one custom event, then the
// tab closes. The Stats API must show one visit of three pages with that event. It runs
// against `bklit serve` on its embedded defaults and against the scale-out deployment
// (ingest, worker and api processes on Redis and ClickHouse), where a dashboard connected
// to the api's live relay must also see the browser's events.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  WsClient, breakdown, pollUntil, removeTempDir, requireFromRepo, sleep, startServer, totals,
  waitForTotals,
} from '../support/bklit.mjs';
import { Deployment } from '../support/scaleout.mjs';
import { startPageServer } from './sdk_page.mjs';

const { chromium } = requireFromRepo('playwright-core');

for (const mode of ['embedded', 'split']) describe(`published SDK in Chromium (${mode})`, { timeout: 150000 }, () => {
  const SCREENSHOT = `/tmp/bklit-e2e-sdk-${mode}.png`;
  let server;  // answers the Stats API: serve, or the api process
  let ingestServer;  // the SDK's WebSocket host: serve, or an ingest process
  let deployment;
  let dashboard;  // split: a live-relay client on the api
  let project;
  let pageServer;
  let browser;
  const consoleLines = [];

  before(async () => {
    const projects = [{ name: 'Browser shop', domain: '127.0.0.1' }];
    if (mode === 'split') {
      deployment = await new Deployment({ projects }).start();
      [project] = deployment.projects;
      server = deployment.api;
      [ingestServer] = deployment.ingests;
      dashboard = new WsClient(server, { site_id: project.project_id, token: project.read_token },
        { path: '/api/live' });
      await dashboard.opened;
      await dashboard.waitForFrame('ready');
    } else {
      server = await startServer({ projects });
      [project] = server.projects;
      ingestServer = server;
    }
    pageServer = await startPageServer({
      projectId: project.project_id,
      wsHost: ingestServer.wsUrl,
      apiKey: project.ingest_token,
      environment: 'development',
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    if (browser) await browser.close();
    if (pageServer) await new Promise((r) => { pageServer.close(r); pageServer.closeAllConnections(); });
    if (dashboard) await dashboard.close();
    if (deployment) {
      await deployment.stop();
    } else if (server) {
      try {
        await server.stop();
      } finally {
        removeTempDir(server.dataDir);
      }
    }
  });

  test('a visit with two SPA navigations and a click is reported as one visit', async (t) => {
    // Headless Chromium announces itself as "HeadlessChrome", which analytics rightly
    // counts as a bot; a person's browser sends the regular Chrome user agent.
    const headlessUa = await (async () => {
      const p = await browser.newPage();
      const ua = await p.evaluate(() => navigator.userAgent);
      await p.close();
      return ua;
    })();
    const userAgent = headlessUa.replace('HeadlessChrome/', 'Chrome/');
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 }, userAgent });
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    const frames = () => page.evaluate(() => window.__frames);
    const waitAcks = async (type, n) => {
      try {
        await page.waitForFunction(([ty, count]) => (window.__frames || [])
          .filter((f) => f.type === 'ack' && f.messageType === ty).length >= count,
        [type, n], { timeout: 15000 });
      } catch (e) {
        throw new Error(`${e.message}\nframes: ${JSON.stringify(await frames())}\n` +
          `console:\n${consoleLines.join('\n')}`);
      }
    };

    const { port } = pageServer.address();
    await page.goto(`http://127.0.0.1:${port}/?utm_source=newsletter`);
    await waitAcks('pageview', 1);
    const first = await frames();
    assert.equal(first[0].type, 'connected', JSON.stringify(first));
    assert.ok(first.some((f) => f.type === 'auth_success'), JSON.stringify(first));

    // The visitor reads the landing page for a moment, then moves on inside the app.
    await sleep(1200);
    await page.evaluate(() => window.__navigate('/pricing'));
    await waitAcks('pageview', 2);
    await page.evaluate(() => window.__navigate('/signup'));
    await waitAcks('pageview', 3);
    await page.click('#cta');
    await waitAcks('event', 1);

    const all = await frames();
    assert.deepEqual(all.filter((f) => f.type === 'error'), [], 'no error frames');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    t.diagnostic(`screenshot: ${SCREENSHOT}`);
    await page.close();

    const expected = { pageviews: 3, visits: 1, visitors: 1, events: 1 };
    const got = await waitForTotals(server, project, expected);
    assert.deepEqual(got, expected);

    // The closed tab ends the session; its duration covers at least the reading pause.
    const session = await pollUntil(
      () => totals(server, project, ['visit_duration', 'bounce_rate']),
      (v) => v.visit_duration > 0, { what: 'visit_duration > 0' });
    assert.ok(session.visit_duration >= 1, `visit_duration ${session.visit_duration}`);
    assert.equal(session.bounce_rate, 0);

    const pages = await breakdown(server, project, ['pageviews'], ['event:page']);
    assert.deepEqual(Object.fromEntries(pages.filter((r) => r.m.pageviews > 0)
      .map((r) => [r.dims[0], r.m.pageviews])), { '/': 1, '/pricing': 1, '/signup': 1 },
    JSON.stringify(pages));

    const utm = await breakdown(server, project, ['visitors', 'visits'], ['visit:utm_source']);
    assert.deepEqual(utm.map((r) => [r.dims[0], r.m.visitors, r.m.visits]), [['newsletter', 1, 1]],
      JSON.stringify(utm));
    const sources = await breakdown(server, project, ['visits'], ['visit:source']);
    assert.deepEqual(sources.map((r) => [r.dims[0], r.m.visits]), [['newsletter', 1]]);

    if (dashboard) {
      // The ingest process published each event; the api relayed them to the dashboard.
      const live = dashboard.frames.filter((f) => f.type === 'event').map((f) => f.event);
      assert.deepEqual(live.filter((e) => e.type === 'pageview').map((e) => e.pathname),
        ['/', '/pricing', '/signup'], JSON.stringify(live));
      assert.equal(live.filter((e) => e.type === 'event').length, 1);
      assert.ok(dashboard.frames.some((f) => f.type === 'stored'), 'a worker reported its batch');
    }
  });
});
