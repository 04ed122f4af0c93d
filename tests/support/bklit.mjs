// Shared helpers for the black-box tests of the real `bklit` binary: start and stop servers
// in fresh temporary data directories, create projects through the CLI, speak the SDK's
// WebSocket protocol, post HTTP batches and poll the Stats API.
//
// Every child process and temporary folder is registered so that it is removed even when a
// test fails or the runner exits early.

import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

// Resolves to null after `ms` without keeping the process alive for it (for races).
function expire(ms) {
  return sleep(ms, null, { ref: false });
}

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// Packages resolve from the repository's node_modules whatever the working directory is.
export const requireFromRepo = createRequire(path.join(REPO_ROOT, 'package.json'));
export const WebSocket = requireFromRepo('ws');

export function bklitBinary() {
  const candidates = [
    process.env.BKLIT_BIN,
    path.join(REPO_ROOT, 'build', 'bklit'),
    path.join(REPO_ROOT, 'build-itests', 'bklit'),
  ].filter(Boolean);
  for (const c of candidates) {
    if (fs.existsSync(c)) return c;
  }
  throw new Error(`bklit binary not found (set BKLIT_BIN); looked at: ${candidates.join(', ')}`);
}

// The server reads every BKLIT_* variable as a setting (and warns about unknown ones such as
// BKLIT_BIN); the tests want no setting from the caller's environment.
export function childEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('BKLIT_')) env[k] = v;
  }
  return env;
}

// ---------------------------------------------------------------------------------------
// Cleanup of everything a test file started, also on failure or an early exit.

const liveChildren = new Set();
const tempDirs = new Set();

process.on('exit', () => {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});
// A runner that is interrupted (Ctrl-C, a CTest timeout) still runs the 'exit' cleanup.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => process.exit(128 + os.constants.signals[sig]));
}

export function makeTempDir(prefix = 'bklit-itest-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------
// Projects

export function createProject(dataDir, { name, domain, isPublic = false, timezone } = {}) {
  const args = ['admin', 'create-project', '--data-dir', dataDir, '--name', name, '--domain',
    domain, '--json'];
  if (isPublic) args.push('--public');
  if (timezone) args.push('--timezone', timezone);
  const r = spawnSync(bklitBinary(), args, { cwd: REPO_ROOT, env: childEnv(), encoding: 'utf8',
    timeout: 60000 });
  if (r.status !== 0) {
    throw new Error(`create-project exited ${r.status} (${r.signal ?? ''}): ${r.stderr}${r.stdout}`);
  }
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  const project = JSON.parse(line);
  for (const k of ['project_id', 'ingest_token', 'read_token']) {
    if (!project[k]) throw new Error(`create-project output lacks ${k}: ${r.stdout}`);
  }
  return project;
}

// ---------------------------------------------------------------------------------------
// Server

export class BklitServer {
  // role: serve (every role), or ingest / worker / api of a scale-out deployment.
  constructor(dataDir, flags, { role = 'serve' } = {}) {
    this.dataDir = dataDir;
    this.flags = flags;
    this.role = role;
    this.child = null;
    this.port = 0;
    this.log = [];
    this.exit = null;  // {code, signal} once exited
  }

  get baseUrl() {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl() {
    return `ws://127.0.0.1:${this.port}`;
  }

  logTail(lines = 40) {
    return this.log.join('').split('\n').slice(-lines).join('\n');
  }

  // Starts `bklit serve` on a free port and waits until /readyz answers 200.
  async start({ readyTimeoutMs = 60000 } = {}) {
    for (let attempt = 0; ; ++attempt) {
      this.port = await freePort();
      try {
        await this.#spawnAndWait(readyTimeoutMs);
        return this;
      } catch (e) {
        // Another process may have taken the port between our probe and the bind.
        const portTaken = /cannot listen|address already in use/i.test(this.logTail(10));
        if (attempt < 2 && portTaken) continue;
        throw e;
      }
    }
  }

  async #spawnAndWait(readyTimeoutMs) {
    const args = [this.role, '--data-dir', this.dataDir, '--listen', `127.0.0.1:${this.port}`];
    // Short batches make the tests quick; a caller's flags win.
    for (const [k, v] of Object.entries({ 'batch-max-wait-ms': 50, ...this.flags })) {
      args.push(`--${k}`, String(v));
    }
    this.log = [];
    this.exit = null;
    const child = spawn(bklitBinary(), args, { cwd: REPO_ROOT, env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    liveChildren.add(child);
    const keep = (chunk) => {
      this.log.push(chunk.toString());
      if (this.log.length > 400) this.log.splice(0, this.log.length - 200);
      if (process.env.BKLIT_TEST_VERBOSE) process.stderr.write(`[bklit:${this.port}] ${chunk}`);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        liveChildren.delete(child);
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (this.exit) {
        throw new Error(`bklit ${this.role} exited early (${JSON.stringify(this.exit)}):\n${this.logTail()}`);
      }
      try {
        const res = await fetch(`${this.baseUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`bklit serve not ready after ${readyTimeoutMs} ms:\n${this.logTail()}`);
      }
      await sleep(100);
    }
  }

  get running() {
    return this.child !== null && this.exit === null;
  }

  // Graceful stop; resolves with {code, signal}. Throws unless the exit code is 0.
  async stop({ timeoutMs = 30000 } = {}) {
    if (!this.child) return null;
    if (this.exit) return this.exit;
    this.child.kill('SIGTERM');
    const result = await Promise.race([this.exited, expire(timeoutMs)]);
    if (result === null) {
      await this.kill();
      throw new Error(`bklit serve did not stop within ${timeoutMs} ms of SIGTERM:\n${this.logTail()}`);
    }
    if (result.code !== 0) {
      throw new Error(`bklit serve exited with ${JSON.stringify(result)} after SIGTERM:\n${this.logTail()}`);
    }
    return result;
  }

  // kill -9: no chance to flush anything.
  async kill() {
    if (!this.child || this.exit) return this.exit;
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

// Starts a server in a fresh temporary data directory (or `dataDir`).
export async function startServer({ dataDir, flags = {}, projects = [], role = 'serve' } = {}) {
  const dir = dataDir ?? makeTempDir();
  const created = projects.map((p) => createProject(dir, p));
  const server = new BklitServer(dir, flags, { role });
  await server.start();
  server.projects = created;
  return server;
}

// ---------------------------------------------------------------------------------------
// SDK messages

let sessionCounter = 0;
export function newSessionId() {
  sessionCounter += 1;
  const rand = Math.random().toString(36).substring(2, 10) + sessionCounter.toString(36);
  return `${Date.now()}-${rand}`;
}

export const CHROME_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

export function pageviewMessage({ projectId, sessionId, url, apiKey, referrer = null,
  userAgent = CHROME_UA, extra = {} }) {
  const msg = {
    type: 'pageview',
    data: {
      url,
      timestamp: new Date().toISOString(),
      referrer,
      referrerHostname: referrer ? new URL(referrer).hostname : null,
      referrerType: referrer ? 'referral' : 'direct',
      userAgent,
      viewport: { width: 1280, height: 720 },
      screen: { width: 1920, height: 1080 },
      language: 'en-US',
      timezone: 'Europe/Berlin',
      sessionId,
      projectId,
      isNewVisitor: true,
      landingPage: url,
      ...extra,
    },
  };
  if (apiKey !== undefined) msg.apiKey = apiKey;
  return msg;
}

export function eventMessage({ projectId, sessionId, trackingId = 'cta-button',
  eventType = 'click', metadata = { buttonText: 'Sign Up' }, apiKey, extra = {} }) {
  const msg = {
    type: 'event',
    data: {
      trackingId,
      eventType,
      timestamp: new Date().toISOString(),
      metadata: { ...metadata, triggerMethod: 'manual' },
      projectId,
      sessionId,
      ...extra,
    },
  };
  if (apiKey !== undefined) msg.apiKey = apiKey;
  return msg;
}

// ---------------------------------------------------------------------------------------
// WebSocket client that keeps every frame it receives.

export class WsClient {
  // `query` is appended to the server's root path, e.g. {projectId, sessionId}.
  constructor(server, query, { origin, headers = {}, path: urlPath = '/' } = {}) {
    const qs = new URLSearchParams(query).toString();
    this.url = `${server.wsUrl}${urlPath}${qs ? `?${qs}` : ''}`;
    this.frames = [];
    this.binaryFrames = 0;
    this.waiters = [];
    this.closeInfo = null;
    this.ws = new WebSocket(this.url, { origin, headers, handshakeTimeout: 10000 });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`WebSocket upgrade refused with HTTP ${res.statusCode}`));
      });
      this.ws.once('error', reject);
    });
    this.opened.catch(() => {});
    this.ws.on('error', () => {});  // reported through opened / closed
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        this.#notify();
      });
    });
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) {
        this.binaryFrames += 1;
        return;
      }
      const text = data.toString();
      let frame;
      try {
        frame = JSON.parse(text);
      } catch {
        frame = { type: '__unparsable__', text };
      }
      this.frames.push(frame);
      if (this.onFrame) this.onFrame(frame);
      this.#notify();
    });
  }

  static async connect(server, query, options) {
    const c = new WsClient(server, query, options);
    await c.opened;
    return c;
  }

  #notify() {
    for (const w of [...this.waiters]) w();
  }

  send(obj) {
    this.ws.send(JSON.stringify(obj));
  }

  sendRaw(data, { binary = false } = {}) {
    this.ws.send(data, { binary });
  }

  // Waits until `predicate(frames)` returns a truthy value, which is returned.
  waitUntil(predicate, { timeoutMs = 15000, what = 'condition' } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        let v;
        try {
          v = predicate(this.frames);
        } catch (e) {
          finish();
          reject(e);
          return;
        }
        if (v) {
          finish();
          resolve(v);
        } else if (this.closeInfo && !this.allowClosed) {
          // No more frames can come: one last look is all there is.
          finish();
          reject(new Error(`connection closed (${JSON.stringify(this.closeInfo)}) before ${what}; ` +
            `frames: ${JSON.stringify(this.frames).slice(0, 2000)}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out waiting for ${what}; close: ${JSON.stringify(this.closeInfo)}; ` +
          `frames: ${JSON.stringify(this.frames).slice(0, 2000)}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      this.waiters.push(check);
      check();
    });
  }

  waitForFrame(match, options = {}) {
    const pred = typeof match === 'function' ? match : (f) => f.type === match;
    return this.waitUntil((frames) => frames.find(pred), { what: `frame ${match}`, ...options });
  }

  // Waits until `n` frames answering messages (ack or error) have arrived.
  waitForReplies(n, options = {}) {
    return this.waitUntil(
      (frames) => {
        const r = frames.filter((f) => f.type === 'ack' || f.type === 'error');
        return r.length >= n ? r : null;
      },
      { what: `${n} replies`, ...options },
    );
  }

  async waitForClose(timeoutMs = 15000) {
    const r = await Promise.race([this.closed, expire(timeoutMs)]);
    if (!r) {
      throw new Error(`connection not closed within ${timeoutMs} ms; frames: ` +
        JSON.stringify(this.frames).slice(0, 2000));
    }
    return r;
  }

  acks() {
    return this.frames.filter((f) => f.type === 'ack');
  }

  errors() {
    return this.frames.filter((f) => f.type === 'error');
  }

  async close() {
    if (this.closeInfo) return this.closeInfo;
    this.ws.close(1000, 'bye');
    const r = await Promise.race([this.closed, expire(5000)]);
    if (!r) this.ws.terminate();
    return this.closed;
  }

  terminate() {
    this.ws.terminate();
  }
}

// Opens an SDK connection, authenticates when a token is given and waits for the greeting.
// Like a browser, it sends the User-Agent header that the pageviews repeat in their data.
export async function sdkConnection(server, project, { sessionId = newSessionId(), origin,
  auth = true, token, userAgent = CHROME_UA } = {}) {
  const originHeader = origin ?? `https://${project.domain}`;
  const c = await WsClient.connect(server, { projectId: project.project_id, sessionId },
    { origin: originHeader, headers: { 'user-agent': userAgent } });
  c.sessionId = sessionId;
  c.project = project;
  await c.waitForFrame('connected');
  if (auth) {
    c.send({ type: 'auth', apiKey: token ?? project.ingest_token });
    await c.waitForFrame('auth_success');
  }
  return c;
}

// ---------------------------------------------------------------------------------------
// HTTP

export async function httpJson(server, method, urlPath, { body, token, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    h['content-type'] = h['content-type'] ?? 'application/json';
  }
  const res = await fetch(`${server.baseUrl}${urlPath}`, {
    method, headers: h, body: payload, signal: AbortSignal.timeout(30000),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.status, json, text, headers: res.headers };
}

export function postTrack(server, messages, options = {}) {
  return httpJson(server, 'POST', '/api/track', { body: messages, ...options });
}

// Posts a JSON-looking body of `bytes` bytes. fetch reads the answer the server sends
// as soon as it sees the Content-Length, even though the body is never read.
export async function postLargeBody(server, urlPath, bytes, headers = {}) {
  const body = Buffer.alloc(bytes, 'a');
  body.write('["', 0);
  body.write('"]', bytes - 2);
  const res = await fetch(`${server.baseUrl}${urlPath}`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body,
    signal: AbortSignal.timeout(30000),
  });
  return { status: res.status, text: await res.text() };
}

// ---------------------------------------------------------------------------------------
// Stats API

function isoDate(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

// A custom range of whole days around now, wide enough for any project time zone.
export function aroundToday() {
  const day = 24 * 3600 * 1000;
  return [isoDate(Date.now() - 2 * day), isoDate(Date.now() + 2 * day)];
}

export function query(server, token, body) {
  return httpJson(server, 'POST', '/api/v2/query', { body, token });
}

// Totals of `metrics` for a project ({metric: value}); throws on a non-200 answer.
export async function totals(server, project, metrics, extra = {}) {
  const body = { site_id: project.project_id, metrics, date_range: aroundToday(), ...extra };
  const r = await query(server, project.read_token, body);
  if (r.status !== 200) {
    throw new Error(`query ${JSON.stringify(body)} answered ${r.status}: ${r.text}`);
  }
  const row = r.json.results[0];
  const out = {};
  metrics.forEach((m, i) => { out[m] = row ? row.metrics[i] : 0; });
  return out;
}

// Rows of a breakdown: [{dims: [...], m: {metric: value}}], every page of results.
export async function breakdown(server, project, metrics, dimensions, extra = {}) {
  const rows = [];
  const limit = 10000;
  for (let offset = 0; ; offset += limit) {
    const body = { site_id: project.project_id, metrics, dimensions, date_range: aroundToday(),
      pagination: { limit, offset }, ...extra };
    const r = await query(server, project.read_token, body);
    if (r.status !== 200) {
      throw new Error(`query ${JSON.stringify(body)} answered ${r.status}: ${r.text}`);
    }
    for (const row of r.json.results) {
      const m = {};
      metrics.forEach((name, i) => { m[name] = row.metrics[i]; });
      rows.push({ dims: row.dimensions, m });
    }
    if (r.json.results.length < limit) break;
  }
  return rows;
}

// Polls `fn` until `accept(value)` holds; returns the value, or throws with the last one.
export async function pollUntil(fn, accept, { timeoutMs = 20000, intervalMs = 150, what = 'value' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  let lastError;
  for (;;) {
    try {
      last = await fn();
      lastError = undefined;
      if (accept(last)) return last;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const detail = lastError ? `last error: ${lastError.message}` : `last: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${detail}`);
    }
    await sleep(intervalMs);
  }
}

// Polls the totals of a project until every metric in `expected` has that value.
export function waitForTotals(server, project, expected, options = {}) {
  const metrics = Object.keys(expected);
  return pollUntil(
    () => totals(server, project, metrics),
    (t) => metrics.every((m) => t[m] === expected[m]),
    { what: `totals ${JSON.stringify(expected)}`, ...options },
  );
}

export { sleep };
