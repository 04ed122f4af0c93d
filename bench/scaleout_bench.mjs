// Scale-out benchmark (bench/README.md, "Scale-out"): in one run on this machine,
//   (a) `bklit serve` on its embedded defaults: loadgen at max rate, then at a fixed rate;
//   (b) the split deployment (2 ingest + 2 worker + 1 api on Redis Streams, Redis pub/sub
//       and ClickHouse server), same loads spread over both ingests;
//   (c) a 1 000 000-event backlog built while ClickHouse is stopped, then the time from
//       ClickHouse's restart until every acked event is stored.
// Usage: node bench/scaleout_bench.mjs [--max-s 20] [--rate 4000] [--rate-s 20]
//        [--backlog 1000000]   (BKLIT_BIN / build/ for the binaries; loopback only)
import { parseArgs } from 'node:util';

import { pollUntil, removeTempDir, sleep, startServer } from '../tests/support/bklit.mjs';
import { Deployment, runLoadgen } from '../tests/support/scaleout.mjs';

const { values } = parseArgs({ options: {
  'max-s': { type: 'string', default: '20' },
  rate: { type: 'string', default: '4000' },
  'rate-s': { type: 'string', default: '20' },
  backlog: { type: 'string', default: '1000000' },
  connections: { type: 'string', default: '100' },
} });
const MAX_S = Number(values['max-s']);
const RATE = Number(values.rate);
const RATE_S = Number(values['rate-s']);
const BACKLOG = Number(values.backlog);
const CONNECTIONS = Number(values.connections);

// Benchmarks measure the pipeline, not the abuse limits.
const UNLIMITED = {
  'rate-limit-connection-per-s': 1e9, 'rate-limit-connection-burst': 1e9,
  'rate-limit-project-per-s': 1e9, 'rate-limit-project-burst': 1e9,
  'batch-max-wait-ms': 200,
};
const spec = { name: 'Bench', domain: 'bench.example' };

function summary(label, reports) {
  const acked = reports.reduce((n, r) => n + r.acked, 0);
  const perS = reports.reduce((n, r) => n + r.accepted_per_s, 0);
  // Percentiles of the whole run: the worst of the per-ingest figures (conservative).
  const p = (k) => Math.max(...reports.map((r) => r.ack_latency_ms[k] ?? 0));
  const row = { label, acked, accepted_per_s: Math.round(perS), ack_p50_ms: p('p50'),
    ack_p99_ms: p('p99'), errors: reports.map((r) => r.errors) };
  console.log(JSON.stringify(row));
  return row;
}

async function loads(targets, project, label) {
  const n = targets.length;
  const max = await Promise.all(targets.map((t, i) => runLoadgen(t, project, {
    rate: 0, duration: MAX_S, connections: Math.round(CONNECTIONS / n), seed: 1 + i,
    extra: ['--pipeline', '32'] })));
  const fixed = await Promise.all(targets.map((t, i) => runLoadgen(t, project, {
    rate: RATE / n, duration: RATE_S, connections: Math.round(CONNECTIONS / n), seed: 100 + i })));
  return [summary(`${label} max`, max), summary(`${label} ${RATE}/s`, fixed)];
}

const results = { machine: `${(await import('node:os')).cpus().length} cores`, rows: [] };

// (a) embedded
{
  const server = await startServer({ projects: [spec], flags: UNLIMITED });
  try {
    results.rows.push(...await loads([server], server.projects[0], 'embedded'));
  } finally {
    await server.stop();
    removeTempDir(server.dataDir);
  }
}

// (b) split
{
  const d = new Deployment({ projects: [spec], flags: UNLIMITED });
  await d.start();
  try {
    results.rows.push(...await loads(d.ingests, d.projects[0], 'split 2i+2w+1a'));
    const [project] = d.projects;
    const acked = results.rows.slice(-2).reduce((n, r) => n + r.acked, 0);
    const t = Date.now();
    await pollUntil(() => d.storedCounts(project.project_id), (c) => c.count >= acked,
      { timeoutMs: 300000, intervalMs: 500, what: 'split stored' });
    console.log(`split: all ${acked} acked events stored ${Date.now() - t} ms after the loads`);
  } finally {
    await d.stop();
  }
}

// (c) backlog drain after a ClickHouse outage
{
  const d = new Deployment({ projects: [spec], flags: UNLIMITED });
  await d.start();
  try {
    const [project] = d.projects;
    await d.clickhouse.stop({ hard: true });
    let acked = 0;
    const fillStart = Date.now();
    while (acked < BACKLOG) {
      const reports = await Promise.all(d.ingests.map((t, i) => runLoadgen(t, project, {
        rate: 0, duration: 10, connections: 16, seed: 1000 + acked + i,
        extra: ['--http-fraction', '1', '--http-batch', '200'] })));
      acked += reports.reduce((n, r) => n + r.acked, 0);
      console.log(`backlog: ${acked} acked while ClickHouse is down`);
    }
    const fillS = (Date.now() - fillStart) / 1000;
    await d.clickhouse.start();
    const t = Date.now();
    await pollUntil(() => d.storedCounts(project.project_id), (c) => c.count >= acked,
      { timeoutMs: 1800000, intervalMs: 1000, what: 'backlog drained' });
    const drainS = (Date.now() - t) / 1000;
    const final = await d.storedCounts(project.project_id);
    results.drain = { backlog: acked, fill_s: fillS, drain_s: drainS,
      drain_per_s: Math.round(acked / drainS), stored: final.count, distinct: final.distinct };
    console.log(JSON.stringify(results.drain));
  } finally {
    await d.stop();
  }
}
await sleep(10);
console.log(JSON.stringify(results, null, 1));
