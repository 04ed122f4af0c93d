// A scale-out deployment for tests: Redis and ClickHouse servers plus `bklit ingest`,
// `bklit worker` and `bklit api` processes sharing one data directory (the SQLite app
// database), each on its own port.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import {
  BklitServer, REPO_ROOT, bklitBinary, childEnv, createProject, makeTempDir, postTrack,
  removeTempDir,
} from './bklit.mjs';
import { ClickHouseServer, RedisServer } from './servers.mjs';

export const CH_DATABASE = 'bklit_split';

export class Deployment {
  constructor({ ingest = 2, worker = 2, api = 1, flags = {}, projects = [] } = {}) {
    this.counts = { ingest, worker, api };
    this.extraFlags = flags;
    this.projectSpecs = projects;
    this.ingests = [];
    this.workers = [];
    this.apis = [];
  }

  get flags() {
    return {
      queue: 'redis',
      analytics: 'clickhouse',
      pubsub: 'redis',
      'redis-url': this.redis.url,
      'clickhouse-url': this.clickhouse.url,
      'clickhouse-database': CH_DATABASE,
      'queue-shards': 8,
      'queue-lease-ms': 2000,
      'queue-claim-idle-ms': 500,
      ...this.extraFlags,
    };
  }

  async start() {
    this.redis = new RedisServer();
    this.clickhouse = new ClickHouseServer();
    await Promise.all([this.redis.start(), this.clickhouse.start()]);
    this.dataDir = makeTempDir('bklit-split-');
    this.projects = this.projectSpecs.map((p) => createProject(this.dataDir, p));
    const make = (role, n) => Array.from({ length: n },
      () => new BklitServer(this.dataDir, this.flags, { role }));
    this.ingests = make('ingest', this.counts.ingest);
    this.workers = make('worker', this.counts.worker);
    this.apis = make('api', this.counts.api);
    // Together, as an operator's service manager would: migrations must cope.
    await Promise.all([...this.apis, ...this.workers, ...this.ingests].map((s) => s.start()));
    return this;
  }

  get api() {
    return this.apis[0];
  }

  all() {
    return [...this.ingests, ...this.workers, ...this.apis];
  }

  // Rows of the events table of a project straight from ClickHouse: [count, distinct ids].
  async storedCounts(projectId) {
    const text = await this.clickhouse.query(
      `SELECT count(), uniqExact(event_id) FROM events WHERE project_id = '${projectId}' ` +
      'FORMAT TabSeparated', { database: CH_DATABASE });
    const [count, distinct] = text.trim().split('\t').map(Number);
    return { count, distinct };
  }

  async stop() {
    const errors = [];
    for (const s of this.all()) {
      try {
        await s.stop();
      } catch (e) {
        errors.push(e);
      }
    }
    await Promise.all([this.redis?.stop({ hard: true }), this.clickhouse?.stop({ hard: true })]);
    if (this.dataDir) removeTempDir(this.dataDir);
    for (const dir of [this.redis?.dir, this.clickhouse?.dir]) {
      if (dir) removeTempDir(dir);
    }
    if (errors.length) throw errors[0];
  }
}

// Runs bench's bklit-loadgen against one ingest; resolves with its JSON report.
export function runLoadgen(ingest, project, { rate = 1000, duration = 10, connections = 20,
  seed = 1, extra = [] } = {}) {
  const bin = path.join(path.dirname(bklitBinary()), 'bklit-loadgen');
  if (!fs.existsSync(bin)) throw new Error(`${bin} not built`);
  const dir = makeTempDir('bklit-loadgen-');
  const json = path.join(dir, 'report.json');
  const args = ['--url', ingest.wsUrl, '--project', project.project_id, '--token',
    project.ingest_token, '--origin', `https://${project.domain}`, '--connections',
    String(connections), '--rate', String(rate), '--duration', String(duration), '--threads', '1',
    '--seed', String(seed), '--drain', '20', '--json', json, ...extra];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: REPO_ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => {
      try {
        if (!fs.existsSync(json)) throw new Error(`loadgen exited ${code} without a report:\n${out}`);
        resolve({ ...JSON.parse(fs.readFileSync(json, 'utf8')), output: out });
      } catch (e) {
        reject(e);
      } finally {
        removeTempDir(dir);
      }
    });
  });
}

// A fixed set of visits sent as HTTP batches with explicit timestamps, so that two
// deployments fed the same plan must report the same numbers. `t0` is the first event's time.
export function visitPlan(t0, { sessions = 60 } = {}) {
  const pages = ['/', '/pricing', '/docs', '/docs/install', '/blog/launch', '/signup'];
  const referrers = [null, 'https://www.google.com/', 'https://news.ycombinator.com/item?id=1',
    'https://twitter.com/x', null];
  const uas = [
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  ];
  const visits = [];
  for (let s = 0; s < sessions; ++s) {
    const start = t0 + s * 700;
    const sessionId = `${start}-plan${String(s).padStart(4, '0')}`;
    const ua = `${uas[s % uas.length]} v${s % 17}`;
    const n = 1 + ((s * 7) % 5);  // 1..5 pageviews: some bounces
    const messages = [];
    for (let i = 0; i < n; ++i) {
      const page = pages[(s + i * 3) % pages.length];
      const utm = s % 9 === 0 && i === 0 ? '?utm_source=newsletter&utm_medium=email' : '';
      messages.push({ type: 'pageview', ts: start + i * 15000, ua, data: {
        url: `https://shop.example${page}${utm}`,
        referrer: i === 0 ? referrers[s % referrers.length] : null,
        sessionId, screen: { width: 1920, height: 1080 }, viewport: { width: 1280, height: 720 },
        language: 'en-US', timezone: 'Europe/Berlin', userAgent: ua,
      } });
      if ((s + i) % 4 === 0) {
        messages.push({ type: 'event', ts: start + i * 15000 + 2000, ua, data: {
          trackingId: s % 2 ? 'cta-button' : 'signup-form', eventType: s % 2 ? 'click' : 'submit',
          metadata: { plan: s % 3 ? 'pro' : 'free' }, sessionId,
          url: `https://shop.example${page}`,
        } });
      }
    }
    visits.push({ sessionId, ua, messages });
  }
  return visits;
}

// Sends a plan to one server (or round-robin over several), one HTTP batch per visit.
export async function sendPlan(servers, project, plan) {
  const targets = Array.isArray(servers) ? servers : [servers];
  let acked = 0;
  let i = 0;
  for (const visit of plan) {
    const target = targets[i % targets.length];
    i += 1;
    const batch = visit.messages.map((m) => ({ type: m.type, data: {
      ...m.data, projectId: project.project_id, timestamp: new Date(m.ts).toISOString(),
    } }));
    const r = await postTrack(target, batch, { token: project.ingest_token,
      headers: { origin: `https://${project.domain}`, 'user-agent': visit.ua } });
    if (r.status !== 202) throw new Error(`track answered ${r.status}: ${r.text}`);
    acked += batch.length;
  }
  return acked;
}
