// Durability of acked events: a server killed with SIGKILL under load, or stopped with
// SIGTERM, keeps every event it acked exactly once after a restart on the same data dir.
// Each pageview has its own path (/p/<n>), so the event:page breakdown shows each one.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import {
  BklitServer, breakdown, makeTempDir, pageviewMessage, pollUntil, removeTempDir,
  sdkConnection, startServer, totals,
} from '../support/bklit.mjs';

const CONNECTIONS = 20;
const WINDOW = 32;  // unanswered messages per connection
const ACKS_BEFORE_STOP = 3000;

const LOAD_FLAGS = {
  'rate-limit-connection-per-s': 1000000,
  'rate-limit-connection-burst': 1000000,
  'rate-limit-project-per-s': 10000000,
  'rate-limit-project-burst': 10000000,
};

// Keeps CONNECTIONS sockets busy with pageviews until they close. Replies come in message
// order on each connection, so the k-th reply answers the k-th message.
async function startLoad(server, project) {
  const state = { sent: new Set(), acked: new Map(), refused: new Map(), next: 0,
    connections: [], unexpected: [] };
  const conns = await Promise.all(Array.from({ length: CONNECTIONS },
    () => sdkConnection(server, project)));
  for (const ws of conns) {
    const pending = [];
    const pump = () => {
      while (!ws.closeInfo && ws.ws.readyState === 1 && pending.length < WINDOW) {
        const path = `/p/${state.next++}`;
        pending.push(path);
        state.sent.add(path);
        ws.send(pageviewMessage({ projectId: project.project_id, sessionId: ws.sessionId,
          url: `https://${project.domain}${path}`, apiKey: project.ingest_token }));
      }
    };
    ws.onFrame = (frame) => {
      if (frame.type !== 'ack' && frame.type !== 'error') return;
      const path = pending.shift();
      if (path === undefined) {
        state.unexpected.push(frame);
      } else if (frame.type === 'ack') {
        if (state.acked.has(path)) state.unexpected.push(frame);
        state.acked.set(path, frame.eventId);
      } else {
        state.refused.set(path, frame.code);
      }
      pump();
    };
    pump();
    state.connections.push(ws);
  }
  return state;
}

async function waitForAcks(state, n) {
  await pollUntil(() => state.acked.size, (size) => size >= n,
    { timeoutMs: 60000, intervalMs: 20, what: `${n} acks` });
}

// Restarts on the same data dir, sends a control pageview and waits until it is stored:
// the worker handles the queue in order, so everything before it has been handled too.
async function restartAndDrain(dataDir, project) {
  const server = new BklitServer(dataDir, LOAD_FLAGS);
  await server.start();
  const ws = await sdkConnection(server, project);
  ws.send(pageviewMessage({ projectId: project.project_id, sessionId: ws.sessionId,
    url: `https://${project.domain}/control`, apiKey: project.ingest_token }));
  const [reply] = await ws.waitForReplies(1);
  assert.equal(reply.type, 'ack', JSON.stringify(reply));
  await ws.close();
  await pollUntil(
    () => totals(server, project, ['pageviews'], { filters: [['is', 'event:page', ['/control']]] }),
    (t) => t.pageviews === 1, { timeoutMs: 60000, what: 'the control pageview after restart' });
  return server;
}

// Stored pageviews per /p/<n> path.
async function storedPaths(server, project) {
  const rows = await breakdown(server, project, ['pageviews'], ['event:page'],
    { filters: [['contains', 'event:page', ['/p/']]] });
  const stored = new Map();
  for (const r of rows) stored.set(r.dims[0], (stored.get(r.dims[0]) ?? 0) + r.m.pageviews);
  return stored;
}

function checkAckedStoredOnce(state, stored) {
  assert.deepEqual(state.unexpected, [], 'every reply answers exactly one message');
  const missing = [...state.acked.keys()].filter((p) => stored.get(p) !== 1);
  assert.deepEqual(missing.slice(0, 20).map((p) => [p, stored.get(p) ?? 0]), [],
    `${missing.length} acked pageviews are not stored exactly once`);
  const doubled = [...stored].filter(([, n]) => n > 1);
  assert.deepEqual(doubled.slice(0, 20), [], `${doubled.length} pageviews stored more than once`);
  const unknown = [...stored.keys()].filter((p) => !state.sent.has(p));
  assert.deepEqual(unknown.slice(0, 20), [], 'only sent pageviews are stored');
  const refusedButStored = [...state.refused.keys()].filter((p) => stored.has(p));
  assert.deepEqual(refusedButStored.slice(0, 20), [], 'a refused pageview is never stored');
}

describe('durability across stops', { timeout: 110000 }, () => {
  const servers = [];
  const dirs = [];

  after(async () => {
    for (const s of servers) await s.kill();
    for (const d of dirs) removeTempDir(d);
  });

  test('kill -9 under load: every acked pageview is stored exactly once', async () => {
    const dataDir = makeTempDir();
    dirs.push(dataDir);
    const first = await startServer({ dataDir, flags: LOAD_FLAGS,
      projects: [{ name: 'Crash', domain: 'crash.example' }] });
    servers.push(first);
    const [project] = first.projects;

    const state = await startLoad(first, project);
    await waitForAcks(state, ACKS_BEFORE_STOP);
    const killed = await first.kill();
    assert.equal(killed.signal, 'SIGKILL');
    await Promise.all(state.connections.map((c) => c.waitForClose()));

    const second = await restartAndDrain(dataDir, project);
    servers.push(second);
    const stored = await storedPaths(second, project);
    checkAckedStoredOnce(state, stored);

    const total = [...stored.values()].reduce((a, b) => a + b, 0);
    const unacked = state.sent.size - state.acked.size;
    assert.ok(total >= state.acked.size && total <= state.acked.size + unacked,
      `stored ${total}, acked ${state.acked.size}, sent but unacked ${unacked}`);
    const all = await totals(second, project, ['pageviews']);
    assert.equal(all.pageviews, total + 1, 'the totals agree with the breakdown (+ control)');
    console.log(`kill -9: sent ${state.sent.size}, acked ${state.acked.size}, ` +
      `stored ${total}, refused ${state.refused.size}`);

    await second.stop();
  });

  test('SIGTERM under load: exit code 0, acked pageviews stored once, nothing else', async () => {
    const dataDir = makeTempDir();
    dirs.push(dataDir);
    const first = await startServer({ dataDir, flags: LOAD_FLAGS,
      projects: [{ name: 'Graceful', domain: 'graceful.example' }] });
    servers.push(first);
    const [project] = first.projects;

    const state = await startLoad(first, project);
    await waitForAcks(state, ACKS_BEFORE_STOP);
    const exit = await first.stop();
    assert.deepEqual(exit, { code: 0, signal: null });
    const closes = await Promise.all(state.connections.map((c) => c.waitForClose()));
    // The server says goodbye (1001 going away) rather than dropping the sockets.
    assert.ok(closes.every((c) => c.code === 1001), JSON.stringify(closes.slice(0, 3)));
    for (const code of state.refused.values()) assert.equal(code, 'shutting_down');

    const second = await restartAndDrain(dataDir, project);
    servers.push(second);
    const stored = await storedPaths(second, project);
    checkAckedStoredOnce(state, stored);
    // A graceful stop acks everything it stored: nothing unacked was kept.
    const total = [...stored.values()].reduce((a, b) => a + b, 0);
    assert.equal(total, state.acked.size,
      `stored ${total}, acked ${state.acked.size}, sent ${state.sent.size}`);
    console.log(`SIGTERM: sent ${state.sent.size}, acked ${state.acked.size}, stored ${total}, ` +
      `refused ${state.refused.size}`);

    await second.stop();
  });
});
