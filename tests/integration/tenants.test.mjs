// Two projects on one server: their data never mixes, and neither project's tokens reach
// into the other.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  aroundToday, breakdown, eventMessage, newSessionId, pageviewMessage, pollUntil, postTrack,
  query, removeTempDir, sdkConnection, startServer, totals, waitForTotals,
} from '../support/bklit.mjs';

describe('tenant isolation', { timeout: 110000 }, () => {
  let server;
  let A;
  let B;

  before(async () => {
    server = await startServer({ projects: [
      { name: 'Alpha', domain: 'alpha.example' },
      { name: 'Beta', domain: 'beta.example' },
    ] });
    [A, B] = server.projects;
  });

  after(async () => {
    if (!server) return;
    try {
      await server.stop();
    } finally {
      removeTempDir(server.dataDir);
    }
  });

  async function send(project, pages, events) {
    const ws = await sdkConnection(server, project);
    try {
      for (const p of pages) {
        ws.send(pageviewMessage({ projectId: project.project_id, sessionId: ws.sessionId,
          url: `https://${project.domain}${p}`, apiKey: project.ingest_token }));
      }
      for (let i = 0; i < events; ++i) {
        ws.send(eventMessage({ projectId: project.project_id, sessionId: ws.sessionId,
          apiKey: project.ingest_token }));
      }
      const replies = await ws.waitForReplies(pages.length + events);
      assert.deepEqual(replies.filter((r) => r.type !== 'ack'), []);
    } finally {
      await ws.close();
    }
  }

  test("events sent to each project appear only in that project's stats", async () => {
    await send(A, ['/alpha-home', '/alpha-pricing', '/alpha-home'], 2);
    await send(B, ['/beta-home'], 1);
    await send(B, ['/beta-docs', '/beta-home'], 0);

    const a = await waitForTotals(server, A, { pageviews: 3, events: 2, visits: 1 });
    const b = await waitForTotals(server, B, { pageviews: 3, events: 1, visits: 2 });
    assert.deepEqual(a, { pageviews: 3, events: 2, visits: 1 });
    assert.deepEqual(b, { pageviews: 3, events: 1, visits: 2 });

    const pagesA = await breakdown(server, A, ['pageviews'], ['event:page']);
    const pagesB = await breakdown(server, B, ['pageviews'], ['event:page']);
    assert.deepEqual(Object.fromEntries(pagesA.map((r) => [r.dims[0], r.m.pageviews])),
      { '/alpha-home': 2, '/alpha-pricing': 1 });
    assert.deepEqual(Object.fromEntries(pagesB.map((r) => [r.dims[0], r.m.pageviews])),
      { '/beta-home': 2, '/beta-docs': 1 });

    // Filters naming the other project's pages find nothing.
    const cross = await totals(server, A, ['pageviews'],
      { filters: [['contains', 'event:page', ['beta']]] });
    assert.deepEqual(cross, { pageviews: 0 });
  });

  test("B's read token cannot query A", async () => {
    const body = { site_id: A.project_id, metrics: ['pageviews', 'visitors'],
      date_range: aroundToday() };
    const r = await query(server, B.read_token, body);
    assert.ok(r.status === 401 || r.status === 403, `status ${r.status}: ${r.text}`);
    assert.ok(!r.json || !('results' in r.json), `no data in the answer: ${r.text}`);
    assert.ok(!r.text.includes('alpha'), r.text);

    // Nor can an ingest token, nor no token at all.
    const r2 = await query(server, A.ingest_token, body);
    assert.ok(r2.status === 401 || r2.status === 403, `ingest token: ${r2.status}: ${r2.text}`);
    const r3 = await query(server, undefined, body);
    assert.equal(r3.status, 401, r3.text);
  });

  test("A's ingest token cannot write into B", async () => {
    const before = await totals(server, B, ['pageviews', 'events', 'visits']);

    const ws = await sdkConnection(server, B, { auth: false });
    ws.send({ type: 'auth', apiKey: A.ingest_token });
    const err = await ws.waitForFrame('error');
    assert.equal(err.code, 'token_wrong_project', JSON.stringify(err));
    assert.equal((await ws.waitForClose()).code, 1008);

    const ws2 = await sdkConnection(server, B, { auth: false });
    ws2.send(pageviewMessage({ projectId: B.project_id, sessionId: ws2.sessionId,
      url: 'https://beta.example/intruder', apiKey: A.ingest_token }));
    assert.equal((await ws2.waitForFrame('error')).code, 'token_wrong_project');
    assert.equal((await ws2.waitForClose()).code, 1008);

    const msg = pageviewMessage({ projectId: B.project_id, sessionId: newSessionId(),
      url: 'https://beta.example/intruder' });
    const r = await postTrack(server, [msg], { token: A.ingest_token,
      headers: { origin: 'https://beta.example' } });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.accepted, 0);

    // An A connection whose messages name B is refused too.
    const ws3 = await sdkConnection(server, A);
    ws3.send(pageviewMessage({ projectId: B.project_id, sessionId: ws3.sessionId,
      url: 'https://beta.example/intruder', apiKey: A.ingest_token }));
    assert.equal((await ws3.waitForFrame('error')).code, 'project_mismatch');
    await ws3.close();

    // A control event on A, once stored, shows the worker went past everything above.
    await send(A, ['/alpha-control'], 0);
    await pollUntil(() => totals(server, A, ['pageviews']), (t) => t.pageviews === 4,
      { what: 'control pageview on A' });
    assert.deepEqual(await totals(server, B, ['pageviews', 'events', 'visits']), before);
    const pagesB = await breakdown(server, B, ['pageviews'], ['event:page']);
    assert.ok(!pagesB.some((row) => row.dims[0] === '/intruder'), JSON.stringify(pagesB));
  });
});
