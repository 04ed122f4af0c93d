// Happy paths of ingestion through the real binary: the SDK WebSocket protocol, the HTTP
// batch endpoint, and the numbers the Stats API reports for what was sent.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  breakdown, eventMessage, newSessionId, pageviewMessage, postTrack, removeTempDir,
  sdkConnection, startServer, totals, waitForTotals,
} from '../support/bklit.mjs';

const FIREFOX_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const SAFARI_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 ' +
  '(KHTML, like Gecko) Version/17.5 Safari/605.1.15';

describe('ingest happy paths', { timeout: 110000 }, () => {
  let server;
  let project;

  before(async () => {
    server = await startServer({ projects: [{ name: 'Shop', domain: 'shop.example' }] });
    [project] = server.projects;
  });

  after(async () => {
    if (server) {
      try {
        await server.stop();
      } finally {
        removeTempDir(server.dataDir);
      }
    }
  });

  const origin = 'https://shop.example';
  const wsPages = ['/docs/0', '/docs/1', '/docs/2', '/docs/3', '/docs/4'];

  test('WebSocket: auth_success, then 50 quick messages acked once each, in order', async () => {
    const sessionId = newSessionId();
    const ws = await sdkConnection(server, project, { sessionId, origin });
    try {
      // A fixed, irregular mix of pageviews and events so that any reordering of acks shows.
      const kinds = [];
      let pv = 0;
      for (let i = 0; i < 50; ++i) {
        const isEvent = (i * 7) % 5 < 2;  // 20 events, 30 pageviews
        kinds.push(isEvent ? 'event' : 'pageview');
        if (isEvent) {
          ws.send(eventMessage({ projectId: project.project_id, sessionId,
            apiKey: project.ingest_token, metadata: { plan: i % 2 ? 'pro' : 'free', n: i } }));
        } else {
          const page = wsPages[pv % wsPages.length];
          pv += 1;
          ws.send(pageviewMessage({ projectId: project.project_id, sessionId,
            url: `https://shop.example${page}?ref=x#top`, apiKey: project.ingest_token }));
        }
      }
      assert.equal(kinds.filter((k) => k === 'event').length, 20);
      const replies = await ws.waitForReplies(50);
      assert.deepEqual(ws.errors(), [], 'no message was refused');
      assert.deepEqual(replies.map((r) => r.messageType), kinds, 'acks come in message order');
      const ids = replies.map((r) => r.eventId);
      assert.ok(ids.every((id) => typeof id === 'string' && id.length > 0), 'every ack names the event');
      assert.equal(new Set(ids).size, 50, 'event ids are unique');
    } finally {
      await ws.close();
    }
  });

  test('HTTP batch with a Bearer token: 202 with one result per message', async () => {
    const sessionId = newSessionId();
    const common = { projectId: project.project_id, sessionId, userAgent: FIREFOX_UA };
    const batch = [
      pageviewMessage({ ...common, url: 'https://shop.example/pricing',
        referrer: 'https://www.google.com/' }),
      eventMessage({ projectId: project.project_id, sessionId, trackingId: 'signup-form',
        eventType: 'submit', metadata: { plan: 'pro' } }),
      pageviewMessage({ ...common, url: 'https://shop.example/signup/' }),
    ];
    const r = await postTrack(server, batch, { token: project.ingest_token,
      headers: { origin, 'user-agent': FIREFOX_UA } });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.json.accepted, 3);
    assert.equal(r.json.rejected, 0);
    assert.equal(r.json.results.length, 3);
    r.json.results.forEach((res, i) => {
      assert.equal(res.index, i);
      assert.equal(res.status, 'accepted');
      assert.ok(res.eventId, 'accepted results carry an eventId');
    });
  });

  test('HTTP with apiKey per message and no session id is accepted', async () => {
    const msg = pageviewMessage({ projectId: project.project_id, sessionId: undefined,
      url: 'https://shop.example/pricing?utm_source=newsletter&utm_medium=email',
      apiKey: project.ingest_token, userAgent: SAFARI_UA });
    delete msg.data.sessionId;
    const r = await postTrack(server, [msg], { headers: { 'user-agent': SAFARI_UA } });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.json.accepted, 1);
    assert.equal(r.json.results[0].status, 'accepted');
  });

  test('client clocks are not trusted: far past and future timestamps count as now', async () => {
    const sessionId = newSessionId();
    const ws = await sdkConnection(server, project, { sessionId, origin, userAgent: SAFARI_UA });
    try {
      for (const timestamp of ['2001-01-01T00:00:00.000Z', '2099-12-31T23:59:59.000Z']) {
        const msg = pageviewMessage({ projectId: project.project_id, sessionId,
          url: 'https://shop.example/clock', apiKey: project.ingest_token, userAgent: SAFARI_UA });
        msg.data.timestamp = timestamp;
        ws.send(msg);
      }
      const replies = await ws.waitForReplies(2);
      assert.deepEqual(replies.map((r) => r.type), ['ack', 'ack'], JSON.stringify(replies));
    } finally {
      await ws.close();
    }
    // Both land in today's range (checked with the other numbers below).
  });

  test('Stats API reports what was sent', async () => {
    // 30 WS pageviews + 2 + 1 over HTTP + 2 with odd clocks; 20 WS events + 1 over HTTP;
    // four sessions from three browsers (Safari twice, from the same address).
    const t = await waitForTotals(server, project, { pageviews: 35, events: 21, visits: 4,
      visitors: 3 });
    assert.deepEqual(t, { pageviews: 35, events: 21, visits: 4, visitors: 3 });

    const all = await totals(server, project, ['bounce_rate', 'visit_duration']);
    // Only the HTTP session without a session id saw one page and no event.
    assert.ok(Math.abs(all.bounce_rate - 100 / 4) < 0.1, `bounce_rate ${all.bounce_rate}`);
    assert.ok(all.visit_duration >= 0, `visit_duration ${all.visit_duration}`);

    const pages = await breakdown(server, project, ['pageviews', 'visitors'], ['event:page']);
    const byPage = Object.fromEntries(pages.filter((r) => r.m.pageviews > 0)
      .map((r) => [r.dims[0], r.m]));
    assert.deepEqual(byPage, {
      '/docs/0': { pageviews: 6, visitors: 1 },
      '/docs/1': { pageviews: 6, visitors: 1 },
      '/docs/2': { pageviews: 6, visitors: 1 },
      '/docs/3': { pageviews: 6, visitors: 1 },
      '/docs/4': { pageviews: 6, visitors: 1 },
      '/pricing': { pageviews: 2, visitors: 2 },
      '/signup': { pageviews: 1, visitors: 1 },
      '/clock': { pageviews: 2, visitors: 1 },
    }, `pages: ${JSON.stringify(pages)}`);

    const sources = await breakdown(server, project, ['visits'], ['visit:source']);
    const bySource = Object.fromEntries(sources.map((r) => [r.dims[0], r.m.visits]));
    assert.deepEqual(bySource, { 'Direct / None': 2, 'google.com': 1, newsletter: 1 },
      `sources: ${JSON.stringify(sources)}`);

    const utm = await breakdown(server, project, ['visitors'], ['visit:utm_source'],
      { filters: [['is', 'visit:utm_source', ['newsletter']]] });
    assert.deepEqual(utm.map((r) => [r.dims[0], r.m.visitors]), [['newsletter', 1]]);

    const pricing = await totals(server, project, ['pageviews', 'visitors'],
      { filters: [['is', 'event:page', ['/pricing']]] });
    assert.deepEqual(pricing, { pageviews: 2, visitors: 2 });
    const docs = await totals(server, project, ['pageviews'],
      { filters: [['contains', 'event:page', ['docs']]] });
    assert.deepEqual(docs, { pageviews: 30 });

    const days = await breakdown(server, project, ['pageviews'], ['time:day']);
    assert.equal(days.reduce((s, r) => s + r.m.pageviews, 0), 35, JSON.stringify(days));
  });
});
