// Honest errors: every `bklit admin` failure is one line and a non-zero exit; a project's
// time zone is checked at creation and a bad one already stored is a permanent error, not a
// "retry"; store failures say whether to retry (503 + Retry-After) or not (500 + a request id
// that is also in the log), on the embedded engine and on a ClickHouse server; and every
// error a client reads (HTTP body, SDK socket frame, live relay frame, /api/track result)
// has the same fields, code and message.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  BklitServer, REPO_ROOT, WsClient, aroundToday, bklitBinary, childEnv, createProject, httpJson,
  makeTempDir, pollUntil, postTrack, query, removeTempDir, sdkConnection,
} from '../support/bklit.mjs';
import { ClickHouseServer } from '../support/servers.mjs';

function bklit(args) {
  return spawnSync(bklitBinary(), args, { cwd: REPO_ROOT, env: childEnv(), encoding: 'utf8',
    timeout: 60000 });
}

// One line on stderr starting with "error:", a non-zero exit, no crash.
function assertOneLineFailure(r, pattern, what) {
  const detail = `${what}: exit ${r.status} signal ${r.signal}\nstderr: ${r.stderr}\nstdout: ${r.stdout}`;
  assert.equal(r.signal, null, detail);
  assert.notEqual(r.status, 0, detail);
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, detail);
  assert.match(lines[0], /^error: /, detail);
  assert.doesNotMatch(r.stderr, /terminate|what\(\)|Aborted|core dumped/, detail);
  if (pattern) assert.match(lines[0], pattern, detail);
  return lines[0];
}

function sqlite(db, sql) {
  const r = spawnSync('sqlite3', [db, sql], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, `sqlite3 ${sql}: ${r.stderr}`);
  return r.stdout;
}

const STATS = (project) => ({ site_id: project.project_id, metrics: ['visitors', 'pageviews'],
  date_range: aroundToday() });

function assertErrorShape(obj, code, what) {
  assert.equal(typeof obj, 'object', what);
  assert.equal(obj.code, code, `${what}: ${JSON.stringify(obj)}`);
  assert.equal(typeof obj.message, 'string', what);
  assert.ok(obj.message.length > 0, what);
}

describe('bklit admin failures', () => {
  const dirs = [];
  after(() => dirs.forEach(removeTempDir));
  const tempDir = () => {
    const d = makeTempDir('bklit-admin-');
    dirs.push(d);
    return d;
  };
  const create = (dataDir, extra = []) => bklit(['admin', 'create-project', '--data-dir', dataDir,
    '--name', 'Shop', '--domain', 'shop.example', ...extra]);

  test('a time zone outside the IANA database is refused, naming the flag and an example', () => {
    const dir = tempDir();
    const line = assertOneLineFailure(create(dir, ['--timezone', 'Mars/Olympus']),
      /--timezone 'Mars\/Olympus' is not a time zone of the IANA database/, 'Mars/Olympus');
    assert.match(line, /Europe\/Berlin/);
    // Nothing was created; a valid zone (and a link name) works.
    const ok = create(dir, ['--timezone', 'America/New_York', '--json']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).timezone, 'America/New_York');
    const db = path.join(dir, 'app.db');
    assert.equal(sqlite(db, 'SELECT count(*) FROM projects').trim(), '1');
  });

  test('usage errors: an unknown flag, a missing one, no subcommand', () => {
    const dir = tempDir();
    assertOneLineFailure(create(dir, ['--no-such-flag']), /no-such-flag/, 'unknown flag');
    assertOneLineFailure(bklit(['admin', 'create-project', '--data-dir', dir, '--domain', 'a.b']),
      /--name/, 'missing --name');
    assertOneLineFailure(bklit(['admin']), /subcommand/i, 'no subcommand');
    assertOneLineFailure(bklit(['admin', 'create-project', '--data-dir', dir, '--name', 'x',
      '--domain', 'bad domain!']), /domain/, 'bad domain');
  });

  test('a data directory that is a file, cannot be created, or holds a broken database', () => {
    const dir = tempDir();
    const file = path.join(dir, 'plain-file');
    fs.writeFileSync(file, 'x');
    assertOneLineFailure(create(file), /is not a directory/, 'data dir is a file');
    assertOneLineFailure(create(path.join(file, 'sub')), /cannot create data directory/,
      'data dir below a file');
    assertOneLineFailure(create('/proc/bklit-cannot-exist'), /cannot create data directory/,
      'unwritable parent');
    const broken = tempDir();
    fs.writeFileSync(path.join(broken, 'app.db'), 'this is not an SQLite database, '.repeat(200));
    assertOneLineFailure(create(broken), /database/, 'app.db is not a database');
  });

  test('a data directory whose app database another process holds locked', async () => {
    const dir = tempDir();
    const first = create(dir);
    assert.equal(first.status, 0, first.stderr);
    // An exclusive transaction held open by another process: past SQLite's busy timeout the
    // command gives up with one line.
    const holder = spawn('sqlite3', [path.join(dir, 'app.db')], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    holder.stdout.on('data', (d) => { out += d; });
    holder.stdin.write("BEGIN EXCLUSIVE; INSERT INTO projects SELECT * FROM projects WHERE 0; SELECT 'held';\n");
    try {
      await pollUntil(async () => out, (o) => o.includes('held'), { what: 'the lock is held' });
      const r = await new Promise((resolve) => {
        const child = spawn(bklitBinary(), ['admin', 'create-project', '--data-dir', dir,
          '--name', 'Second', '--domain', 'b.example'], { cwd: REPO_ROOT, env: childEnv() });
        let stderr = '';
        let stdout = '';
        child.stderr.on('data', (d) => { stderr += d; });
        child.stdout.on('data', (d) => { stdout += d; });
        child.on('exit', (status, signal) => resolve({ status, signal, stderr, stdout }));
      });
      assertOneLineFailure(r, /locked|busy/i, 'locked app.db');
    } finally {
      holder.stdin.end('ROLLBACK;\n');
      await new Promise((resolve) => holder.on('exit', resolve));
    }
  });

  test('--help says what each setting means, its unit and its default', () => {
    const r = bklit(['serve', '--help']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /--token-cache-ttl-ms\s.*how long token and project lookups are cached \(unit: ms; default: 10000; env BKLIT_TOKEN_CACHE_TTL_MS\)/);
    assert.match(r.stdout, /--queue-max-backlog-bytes\s[^]*?\(unit: bytes; default: 4294967296;/);
    assert.match(r.stdout, /--chdb-library\s[^]*?default: found next to the executable/);
    const admin = bklit(['admin', 'create-project', '--help']);
    assert.equal(admin.status, 0, admin.stderr);
    assert.match(admin.stdout, /--timezone.*default: UTC/);
  });
});

describe('errors on the embedded server', { timeout: 180000 }, () => {
  let server;
  let shop;
  let other;

  before(async () => {
    const dataDir = makeTempDir();
    shop = createProject(dataDir, { name: 'Shop', domain: 'shop.example' });
    other = createProject(dataDir, { name: 'Other', domain: 'other.example', timezone: 'Europe/Berlin' });
    server = new BklitServer(dataDir, {});
    await server.start();
  });

  after(async () => {
    if (server) {
      await server.stop();
      removeTempDir(server.dataDir);
    }
  });

  test('HTTP errors, /api/track results, SDK and live frames share code and message', async () => {
    const notFound = await httpJson(server, 'GET', '/no/such/endpoint');
    assert.equal(notFound.status, 404);
    assert.deepEqual(Object.keys(notFound.json).sort(), ['code', 'message']);
    assertErrorShape(notFound.json, 'not_found', '404');

    const noToken = await query(server, undefined, STATS(shop));
    assert.equal(noToken.status, 401);
    assertErrorShape(noToken.json, 'unauthorized', 'stats without a token');

    const badQuery = await query(server, shop.read_token, { site_id: shop.project_id, metrics: ['nope'] });
    assert.equal(badQuery.status, 400, badQuery.text);
    assert.deepEqual(Object.keys(badQuery.json).sort(), ['code', 'message']);

    const track = await postTrack(server, [{ type: 'pageview', data: { projectId: shop.project_id } },
      { type: 'nonsense' }], { token: shop.ingest_token, headers: { origin: 'https://shop.example' } });
    assert.equal(track.json.results.length, 2, track.text);
    for (const r of track.json.results) {
      assert.equal(r.status, 'rejected', track.text);
      assertErrorShape(r, r.code, '/api/track result');
    }

    const ws = await sdkConnection(server, shop);
    ws.sendRaw('{not json');
    const frame = await ws.waitForFrame('error');
    assert.deepEqual(Object.keys(frame).sort(), ['code', 'message', 'type']);
    assertErrorShape(frame, 'invalid_json', 'SDK error frame');
    await ws.close();

    const live = new WsClient(server, { site_id: shop.project_id, token: 'bk_wrong' },
      { path: '/api/live' });
    await live.opened;
    const refused = await live.waitForFrame('error');
    assert.deepEqual(Object.keys(refused).sort(), ['code', 'message', 'type']);
    assert.ok(refused.code.length > 0, JSON.stringify(refused));
    const closed = await live.waitForClose();
    assert.equal(closed.code, 1008);
  });

  test('a stored project with an unknown time zone answers a permanent error', async () => {
    const ok = await query(server, other.read_token, STATS(other));
    assert.equal(ok.status, 200, ok.text);
    // A project created before time zones were checked.
    sqlite(path.join(server.dataDir, 'app.db'),
      `UPDATE projects SET timezone = 'Mars/Olympus' WHERE id = '${other.project_id}'`);
    const r = await query(server, other.read_token, STATS(other));
    assert.equal(r.status, 500, r.text);
    assert.equal(r.headers.get('retry-after'), null, 'a deterministic failure is not retried');
    assertErrorShape(r.json, 'invalid_project_timezone', 'bad stored time zone');
    assert.match(r.json.message, /Mars\/Olympus/);
    assert.match(r.json.request_id, /^[0-9a-f]{16}$/);
    await pollUntil(async () => server.logTail(400), (log) => log.includes(r.json.request_id),
      { what: 'the request id in the log' });
    // The other project is not affected.
    const fine = await query(server, shop.read_token, STATS(shop));
    assert.equal(fine.status, 200, fine.text);
  });
});

describe('store errors on a ClickHouse server', { timeout: 240000 }, () => {
  const DB = 'bklit_errors';
  let clickhouse;
  let server;
  let shop;

  before(async () => {
    clickhouse = new ClickHouseServer();
    await clickhouse.start();
    const dataDir = makeTempDir();
    shop = createProject(dataDir, { name: 'Shop', domain: 'shop.example' });
    server = new BklitServer(dataDir, { analytics: 'clickhouse', 'clickhouse-url': clickhouse.url,
      'clickhouse-database': DB });
    await server.start();
  });

  after(async () => {
    try {
      if (server) {
        await server.stop();
        removeTempDir(server.dataDir);
      }
    } finally {
      if (clickhouse) {
        await clickhouse.stop({ hard: true });
        removeTempDir(clickhouse.dir);
      }
    }
  });

  test('a query the engine rejects is a 500 with a request id that is in the log', async () => {
    const ok = await query(server, shop.read_token, STATS(shop));
    assert.equal(ok.status, 200, ok.text);
    await clickhouse.query(`RENAME TABLE ${DB}.sessions TO ${DB}.sessions_moved`);
    try {
      const r = await query(server, shop.read_token,
        { ...STATS(shop), metrics: ['visits', 'bounce_rate'] });
      assert.equal(r.status, 500, r.text);
      assert.equal(r.headers.get('retry-after'), null, 'a rejected query is not retried');
      assertErrorShape(r.json, 'query_failed', 'rejected query');
      assert.match(r.json.request_id, /^[0-9a-f]{16}$/);
      assert.equal(r.headers.get('x-request-id'), r.json.request_id);
      const line = await pollUntil(async () => server.logTail(400).split('\n')
        .find((l) => l.includes(r.json.request_id)), (l) => l !== undefined,
      { what: 'the request id in the log' });
      assert.match(line, /sessions/, 'the log line says what the engine rejected');
      assert.doesNotMatch(r.text, /sessions|DB::Exception/, 'no engine detail reaches the client');
    } finally {
      await clickhouse.query(`RENAME TABLE ${DB}.sessions_moved TO ${DB}.sessions`);
    }
  });

  test('a stopped ClickHouse server is a 503 with Retry-After, and it recovers', async () => {
    await clickhouse.stop({ hard: true });
    try {
      const r = await query(server, shop.read_token, STATS(shop));
      assert.equal(r.status, 503, r.text);
      assert.ok(Number(r.headers.get('retry-after')) > 0, 'Retry-After is set');
      assertErrorShape(r.json, 'store_unavailable', 'store down');
      assert.equal(r.json.request_id, undefined);
      // Readiness caches the store's health for a second.
      await pollUntil(() => fetch(`${server.baseUrl}/readyz`).then((res) => res.status),
        (status) => status === 503, { what: 'not ready while the store is unreachable' });
    } finally {
      await clickhouse.start();
    }
    const back = await pollUntil(() => query(server, shop.read_token, STATS(shop)),
      (r) => r.status === 200, { timeoutMs: 30000, what: 'a 200 once ClickHouse is back' });
    assert.equal(back.status, 200);
  });
});
