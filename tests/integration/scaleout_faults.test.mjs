// Faults under load on the scale-out deployment (2 ingest + 2 worker + 1 api on Redis and
// ClickHouse): kill -9 of a worker mid-batch, kill -9 of an ingest, Redis restarted,
// ClickHouse stopped for 60 s. Each ends with every acked event stored, none twice.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { BklitServer, pollUntil, sleep } from '../support/bklit.mjs';
import { Deployment, runLoadgen } from '../support/scaleout.mjs';

describe('scale-out faults under load', { timeout: 600000 }, () => {
  let d;
  let project;
  let storedBefore = 0;

  before(async () => {
    d = new Deployment({ projects: [{ name: 'Shop', domain: 'shop.example' }] });
    await d.start();
    [project] = d.projects;
  });

  after(async () => {
    if (d) await d.stop();
  });

  // Runs loadgen on both ingests while `fault` runs; returns what was acked.
  async function underLoad(fault, { duration = 10, rate = 700 } = {}) {
    const runs = Promise.all(d.ingests.map((ingest, i) => runLoadgen(ingest, project,
      { rate, duration, connections: 12, seed: Date.now() % 100000 + i })));
    await fault();
    const reports = await runs;
    return reports.reduce((n, r) => n + r.acked, 0);
  }

  // Waits until the events table holds `atLeast` more rows than before the phase; checks
  // that no event id is there twice.
  async function settle(acked, { exact = true, timeoutMs = 120000 } = {}) {
    const started = Date.now();
    const target = storedBefore + acked;
    const stored = await pollUntil(() => d.storedCounts(project.project_id),
      (c) => c.count >= target, { timeoutMs, intervalMs: 250, what: `${target} stored events` });
    // Let the workers finish anything still in flight, then look again.
    await sleep(1500);
    const final = await d.storedCounts(project.project_id);
    assert.equal(final.distinct, final.count, 'no event stored twice');
    if (exact) {
      assert.equal(final.count - storedBefore, acked, 'every acked event stored exactly once');
    } else {
      // Messages that were durable in Redis but whose ack never reached the client (the
      // process died first) are stored too: at least every acked one, none twice.
      assert.ok(final.count - storedBefore >= acked, `stored ${final.count - storedBefore} >= acked ${acked}`);
    }
    const drainMs = Date.now() - started;
    storedBefore = final.count;
    return { stored: final.count, drainMs };
  }

  async function replace(list, index, role) {
    const fresh = new BklitServer(d.dataDir, d.flags, { role });
    await fresh.start();
    list[index] = fresh;
  }

  test('kill -9 of a worker mid-batch', async () => {
    const acked = await underLoad(async () => {
      await sleep(4000);
      await d.workers[0].kill();
    });
    assert.ok(acked > 3000, `traffic acked (${acked})`);
    const r = await settle(acked);
    await replace(d.workers, 0, 'worker');
    console.log(`worker kill: acked ${acked}, drained ${r.drainMs} ms after load`);
  });

  test('kill -9 of an ingest process', async () => {
    const acked = await underLoad(async () => {
      await sleep(4000);
      await d.ingests[0].kill();
    });
    assert.ok(acked > 3000, `traffic acked (${acked})`);
    await settle(acked, { exact: false });
    await replace(d.ingests, 0, 'ingest');
  });

  test('Redis restarted under load', async () => {
    const acked = await underLoad(async () => {
      await sleep(4000);
      await d.redis.stop();
      await sleep(2000);
      await d.redis.start();
    }, { duration: 12 });
    assert.ok(acked > 3000, `traffic acked (${acked})`);
    await settle(acked, { exact: false });
  });

  test('ClickHouse stopped for 60 s, then the backlog drains', async () => {
    let restartedAt = 0;
    let stoppedAt = 0;
    const acked = await underLoad(async () => {
      await sleep(2000);
      await d.clickhouse.stop({ hard: true });
      stoppedAt = Date.now();
    }, { duration: 10 });
    assert.ok(acked > 3000, `traffic acked while ClickHouse was down (${acked})`);
    await sleep(Math.max(0, 60000 - (Date.now() - stoppedAt)));
    await d.clickhouse.start();
    restartedAt = Date.now();
    const r = await settle(acked);
    console.log(`ClickHouse outage: acked ${acked}, stored ${r.stored}, drained ` +
      `${Date.now() - restartedAt} ms after the restart`);
  });
});
