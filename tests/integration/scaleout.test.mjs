// Scale-out: 2 `bklit ingest` + 2 `bklit worker` + 1 `bklit api` on Redis Streams, Redis
// pub/sub and a ClickHouse server (Debian's 18.16), started together. The same fixed visits
// are sent to the split deployment and to an embedded `bklit serve`: every report must be
// equal. Load-generator traffic is stored exactly once, and live events published by the
// ingest processes reach a dashboard connected to the api process.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  WsClient, breakdown, newSessionId, pageviewMessage, pollUntil, postTrack, removeTempDir,
  startServer, totals,
} from '../support/bklit.mjs';
import { Deployment, runLoadgen, sendPlan, visitPlan } from '../support/scaleout.mjs';

const METRICS = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate',
  'visit_duration', 'events'];
const BREAKDOWNS = [['event:page'], ['visit:source'], ['visit:browser'], ['visit:device'],
  ['visit:entry_page'], ['visit:exit_page'], ['event:name'], ['visit:utm_source']];

function sortRows(rows) {
  return rows.map((r) => JSON.stringify(r)).sort();
}

describe('scale-out deployment', { timeout: 300000 }, () => {
  let split;
  let embedded;
  const spec = { name: 'Shop', domain: 'shop.example' };

  before(async () => {
    split = new Deployment({ projects: [spec] });
    [, embedded] = await Promise.all([split.start(),
      startServer({ projects: [spec] })]);
  });

  after(async () => {
    try {
      if (split) await split.stop();
    } finally {
      if (embedded) {
        await embedded.stop();
        removeTempDir(embedded.dataDir);
      }
    }
  });

  test('the roles refuse backends they cannot share', async () => {
    const { spawnSync } = await import('node:child_process');
    const { bklitBinary, childEnv } = await import('../support/bklit.mjs');
    const r = spawnSync(bklitBinary(), ['worker', '--data-dir', split.dataDir], {
      env: childEnv(), encoding: 'utf8', timeout: 30000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /`bklit worker` cannot run with queue = "local"/);
    const r2 = spawnSync(bklitBinary(), ['api', '--data-dir', split.dataDir, '--analytics',
      'clickhouse', '--pubsub', 'local'], { env: childEnv(), encoding: 'utf8', timeout: 30000 });
    assert.equal(r2.status, 2, r2.stderr);
    assert.match(r2.stderr, /pubsub = "local"/);
  });

  test('every report equals the embedded run fed the same visits', async () => {
    const [splitProject] = split.projects;
    const [embeddedProject] = embedded.projects;
    const t0 = Date.now() - 120000;
    const plan = visitPlan(t0, { sessions: 60 });
    const [ackedSplit, ackedEmbedded] = await Promise.all([
      sendPlan(split.ingests, splitProject, plan),
      sendPlan(embedded, embeddedProject, plan),
    ]);
    assert.equal(ackedSplit, ackedEmbedded);
    const pageviews = plan.reduce((n, v) => n + v.messages.filter((m) => m.type === 'pageview').length, 0);
    // Both stored everything (the api answers from ClickHouse, written by the workers).
    for (const [server, project] of [[split.api, splitProject], [embedded, embeddedProject]]) {
      await pollUntil(() => totals(server, project, ['pageviews', 'events']),
        (t) => t.pageviews + t.events === ackedSplit, { timeoutMs: 60000, what: 'all stored' });
    }
    const a = await totals(split.api, splitProject, METRICS);
    const b = await totals(embedded, embeddedProject, METRICS);
    assert.equal(a.pageviews, pageviews);
    assert.deepEqual(a, b, 'totals');
    for (const dims of BREAKDOWNS) {
      const ra = await breakdown(split.api, splitProject, ['visitors', 'visits', 'pageviews',
        'events', 'bounce_rate'], dims);
      const rb = await breakdown(embedded, embeddedProject, ['visitors', 'visits', 'pageviews',
        'events', 'bounce_rate'], dims);
      assert.ok(ra.length > 0, `${dims} has rows`);
      assert.deepEqual(sortRows(ra), sortRows(rb), `breakdown ${dims}`);
    }
    const ts = await breakdown(split.api, splitProject, ['visits', 'pageviews'], ['time:hour']);
    const tsb = await breakdown(embedded, embeddedProject, ['visits', 'pageviews'], ['time:hour']);
    assert.deepEqual(sortRows(ts), sortRows(tsb), 'time series');
  });

  test('load-generator traffic through both ingests is stored exactly once', async () => {
    const [project] = split.projects;
    const before = await split.storedCounts(project.project_id);
    const runs = await Promise.all(split.ingests.map((ingest, i) => runLoadgen(ingest, project,
      { rate: 600, duration: 8, connections: 16, seed: 10 + i })));
    const acked = runs.reduce((n, r) => n + r.acked, 0);
    assert.ok(acked > 5000, `enough traffic was acked (${acked})`);
    const stored = await pollUntil(() => split.storedCounts(project.project_id),
      (c) => c.count >= before.count + acked, { timeoutMs: 90000, what: 'stored events' });
    assert.equal(stored.count - before.count, acked, 'each acked event stored once');
    assert.equal(stored.distinct, stored.count, 'no event id twice');
  });

  test('while Redis is down ingest answers a retryable error and acks nothing', async () => {
    const [project] = split.projects;
    const [ingest] = split.ingests;
    const before = await split.storedCounts(project.project_id);
    await split.redis.stop();
    try {
      const plan = visitPlan(Date.now(), { sessions: 1 });
      await assert.rejects(sendPlan(ingest, project, plan), /track answered 503/);
      const r = await postTrack(ingest, [pageviewMessage({ projectId: project.project_id,
        sessionId: newSessionId(), url: 'https://shop.example/down' })],
      { token: project.ingest_token, headers: { origin: 'https://shop.example' } });
      assert.equal(r.status, 503, r.text);
      assert.equal(r.headers.get('retry-after'), '1');
      assert.equal(r.json.results[0].status, 'rejected', r.text);
      assert.equal(r.json.results[0].code, 'unavailable', r.text);
      const ready = await fetch(`${ingest.baseUrl}/readyz`);
      assert.equal(ready.status, 503, 'not ready while its queue is unreachable');
    } finally {
      await split.redis.start();
    }
    // The ingest reconnects by itself; the next batch is acked and stored.
    const plan = visitPlan(Date.now(), { sessions: 1 });
    const acked = await pollUntil(() => sendPlan(ingest, project, plan), (n) => n > 0,
      { timeoutMs: 20000, what: 'an ack after Redis came back' });
    await pollUntil(() => split.storedCounts(project.project_id),
      (c) => c.count === before.count + acked, { timeoutMs: 30000, what: 'stored after Redis' });
  });

  test('live events from any ingest reach a dashboard on the api', async () => {
    const [project] = split.projects;
    const dash = new WsClient(split.api, { site_id: project.project_id, token: project.read_token },
      { path: '/api/live' });
    await dash.opened;
    await dash.waitForFrame('ready');
    const t0 = Date.now();
    const plan = visitPlan(t0, { sessions: 4 });
    await sendPlan(split.ingests, project, plan);  // round-robin: both ingests publish
    const sent = plan.reduce((n, v) => n + v.messages.length, 0);
    await dash.waitUntil(() => dash.frames.filter((f) => f.type === 'event').length >= sent,
      { timeoutMs: 15000, what: `${sent} live events` });
    await dash.waitUntil(() => dash.frames.some((f) => f.type === 'stored' && f.events > 0),
      { timeoutMs: 15000, what: 'a stored-batch record from a worker' });
    const ev = dash.frames.find((f) => f.type === 'event').event;
    assert.equal(ev.hostname, 'shop.example');
    assert.ok(ev.pathname.startsWith('/'));
    await dash.close();

    const denied = new WsClient(split.api, { site_id: project.project_id, token: 'nope' },
      { path: '/api/live' });
    await denied.opened;
    const closed = await denied.closed;
    assert.equal(closed.code, 1008);
  });
});
