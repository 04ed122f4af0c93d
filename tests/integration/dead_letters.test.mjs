// A record that does not decode, in the middle of a queue backlog, neither blocks the queue
// nor takes the records around it down: they are stored, and the bad one is listed by
// `bklit admin dead-letters`. Once with the local log, once with Redis Streams; and a local
// log frame damaged on disk, which the queue itself sets aside.
//
// The backlog is written while the server is stopped, the way an older or damaged writer
// would leave it: good records are copies of ones the server wrote (with new event ids),
// around a record of an unknown format version.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import {
  BklitServer, REPO_ROOT, bklitBinary, childEnv, httpJson, newSessionId, pageviewMessage,
  pollUntil, postTrack, startServer, waitForTotals,
} from '../support/bklit.mjs';
import { RedisServer } from '../support/servers.mjs';

// Version 9 does not exist: "unknown record format version 9".
const BAD_RECORD = Buffer.from('\x09not a bklit record\x00\xff', 'latin1');

function deadLetters(args) {
  const r = spawnSync(bklitBinary(), ['admin', 'dead-letters', ...args], { cwd: REPO_ROOT,
    env: childEnv(), encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, `admin dead-letters exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function readyz(server) {
  return (await httpJson(server, 'GET', '/readyz')).json;
}

// A copy of an encoded event (a version 2 record: [2][type][field count][32][event id]...)
// with another event id, so the store counts it as a new event.
function withNewEventId(record, n) {
  assert.equal(record[0], 2, 'a version 2 record');
  assert.equal(record[3], 32, 'a 32-character event id first');
  const copy = Buffer.from(record);
  copy.write(`dead1e77e5${String(n).padStart(22, '0')}`, 4, 'latin1');
  return copy;
}

async function sendPageviews(server, project, paths) {
  const sessionId = newSessionId();
  const batch = paths.map((p) => pageviewMessage({ projectId: project.project_id, sessionId,
    url: `https://${project.domain}${p}`, apiKey: project.ingest_token }));
  const r = await postTrack(server, batch, { token: project.ingest_token });
  assert.equal(r.status, 202, r.text);
}

// --- The local log's segment files (src/queue/local_log/record_format.hpp) ---------------

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; ++i) {
    let c = i;
    for (let k = 0; k < 8; ++k) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

function crc32c(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC32C_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// [u32 crc of the rest][u32 length][u64 seq][payload], little-endian.
function frame(seq, payload) {
  const out = Buffer.alloc(16 + payload.length);
  out.writeUInt32LE(payload.length, 4);
  out.writeBigUInt64LE(BigInt(seq), 8);
  payload.copy(out, 16);
  out.writeUInt32LE(crc32c(out.subarray(4)), 0);
  return out;
}

function readFrames(file) {
  const bytes = fs.readFileSync(file);
  const frames = [];
  for (let at = 0; at + 16 <= bytes.length;) {
    const length = bytes.readUInt32LE(at + 4);
    frames.push({ seq: Number(bytes.readBigUInt64LE(at + 8)),
      payload: bytes.subarray(at + 16, at + 16 + length) });
    at += 16 + length;
  }
  return frames;
}

function activeSegment(dataDir) {
  const dir = path.join(dataDir, 'queue');
  const segments = fs.readdirSync(dir).filter((f) => /^\d{20}\.log$/.test(f)).sort();
  assert.ok(segments.length > 0, 'a segment file');
  return path.join(dir, segments.at(-1));
}

// --- Redis, binary-safe (RESP by hand: no Redis client in node_modules) -------------------

function redisCommand(port, args) {
  return new Promise((resolve, reject) => {
    const parts = [Buffer.from(`*${args.length}\r\n`)];
    for (const a of args) {
      const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
      parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
    }
    const socket = net.connect(port, '127.0.0.1', () => socket.write(Buffer.concat(parts)));
    let reply = '';
    socket.on('data', (d) => {
      reply += d.toString('latin1');
      const eol = reply.indexOf('\r\n');
      if (eol < 0) return;
      let value = reply.slice(1, eol);
      if (reply[0] === '$') {
        const end = eol + 2 + Number(value);
        if (reply.length < end + 2) return;
        value = reply.slice(eol + 2, end);
      }
      socket.end();
      if (reply[0] === '-') reject(new Error(value));
      else resolve(value);
    });
    socket.on('error', reject);
  });
}

describe('a corrupt record in the middle of a backlog', () => {
  let server;
  after(async () => {
    await server?.stop().catch(() => {});
  });

  test('local log: the rest is stored and the bad one is listed', async () => {
    server = await startServer({ projects: [{ name: 'Shop', domain: 'shop.example' }] });
    const project = server.projects[0];
    const { dataDir } = server;
    await sendPageviews(server, project, ['/a', '/b', '/c']);
    await waitForTotals(server, project, { pageviews: 3 }, { timeoutMs: 60000 });
    await server.stop();

    const segment = activeSegment(dataDir);
    const frames = readFrames(segment);
    assert.equal(frames.length, 3);
    const last = frames.at(-1).seq;
    fs.appendFileSync(segment, Buffer.concat([
      frame(last + 1, withNewEventId(frames[0].payload, 1)),
      frame(last + 2, BAD_RECORD),
      frame(last + 3, withNewEventId(frames[1].payload, 2)),
      frame(last + 4, withNewEventId(frames[2].payload, 3)),
    ]));

    server = new BklitServer(dataDir, {});
    await server.start();
    await waitForTotals(server, project, { pageviews: 6 }, { timeoutMs: 60000 });
    const ready = await pollUntil(() => readyz(server), (r) => r.dead_letters === 1,
      { what: 'one dead letter in /readyz' });
    assert.equal(ready.status, 'ready');

    // Read next to the running server.
    const text = deadLetters(['--data-dir', dataDir]);
    assert.match(text, /^1 dead letter in the local queue/);
    assert.match(text, new RegExp(`shard 0  seq ${last + 2}  ${BAD_RECORD.length} bytes  ` +
      'unknown record format version 9 '));
    assert.match(text, /\\x09not a bklit record\\x00\\xff/);

    const json = JSON.parse(deadLetters(['--data-dir', dataDir, '--json']));
    assert.equal(json.queue, 'local');
    assert.equal(json.dead_letters.length, 1);
    const [letter] = json.dead_letters;
    assert.equal(letter.shard, 0);
    assert.equal(letter.seq, last + 2);
    assert.equal(letter.size, BAD_RECORD.length);
    assert.equal(letter.payload_hex, BAD_RECORD.toString('hex'));
    assert.match(letter.reason, /^unknown record format version 9 /);
    assert.ok(Math.abs(Date.parse(letter.time) - Date.now()) < 3600_000, letter.time);
    await server.stop();
    server = null;
  });

  test('local log: a frame damaged on disk is set aside and the records after it stored',
    async () => {
      server = await startServer({ projects: [{ name: 'Shop', domain: 'shop.example' }] });
      const project = server.projects[0];
      const { dataDir } = server;
      await sendPageviews(server, project, ['/a', '/b', '/c']);
      await waitForTotals(server, project, { pageviews: 3 }, { timeoutMs: 60000 });
      await server.stop();

      // Three more records, the middle one with a payload byte flipped after its CRC was
      // computed (what a disk that damages synced data leaves).
      const segment = activeSegment(dataDir);
      const frames = readFrames(segment);
      const last = frames.at(-1).seq;
      const damaged = frame(last + 2, withNewEventId(frames[1].payload, 5));
      damaged[16 + 40] ^= 0x20;
      fs.appendFileSync(segment, Buffer.concat([
        frame(last + 1, withNewEventId(frames[0].payload, 4)),
        damaged,
        frame(last + 3, withNewEventId(frames[2].payload, 6)),
      ]));

      server = new BklitServer(dataDir, {});
      await server.start();
      await waitForTotals(server, project, { pageviews: 5 }, { timeoutMs: 60000 });
      const ready = await pollUntil(() => readyz(server), (r) => r.queue_damaged_records === 1,
        { what: 'one damaged record in /readyz' });
      assert.equal(ready.status, 'ready');
      assert.equal(ready.dead_letters, 0, 'the worker never saw it');

      const check = () => {
        const json = JSON.parse(deadLetters(['--data-dir', dataDir, '--json']));
        assert.equal(json.dead_letters.length, 1);
        const [letter] = json.dead_letters;
        assert.equal(letter.seq, last + 2);
        assert.equal(letter.size, damaged.length);
        assert.equal(letter.payload_hex, damaged.toString('hex'));
        assert.match(letter.reason, new RegExp(`^damaged on disk: CRC mismatch in segment ` +
          `\\d{20}\\.log at bytes \\d+-\\d+; lost record \\(seq\\): ${last + 2};`));
      };
      check();

      // A restart stores nothing twice and lists the dead letter once.
      await server.stop();
      server = new BklitServer(dataDir, {});
      await server.start();
      await sendPageviews(server, project, ['/d']);
      await waitForTotals(server, project, { pageviews: 6 }, { timeoutMs: 60000 });
      check();
      await server.stop();
      server = null;
    });

  test('Redis Streams: the rest is stored and the bad one is listed', async () => {
    const redis = await new RedisServer().start();
    try {
      await redisBacklog(redis);
    } finally {
      await server?.stop().catch(() => {});
      server = null;
      await redis.stop();
    }
  });

  async function redisBacklog(redis) {
    const flags = { queue: 'redis', 'redis-url': redis.url, 'queue-shards': 1 };
    server = await startServer({ flags, projects: [{ name: 'Shop', domain: 'shop.example' }] });
    const project = server.projects[0];
    const { dataDir } = server;
    await sendPageviews(server, project, ['/a', '/b']);
    await waitForTotals(server, project, { pageviews: 2 }, { timeoutMs: 60000 });
    await server.stop();

    // Good records to copy: the local log of a first run on the same data directory would
    // do, but this run never wrote one, so take them from a fresh local-log run.
    const local = new BklitServer(dataDir, {});
    await local.start();
    await sendPageviews(local, project, ['/x', '/y']);
    await waitForTotals(local, project, { pageviews: 4 }, { timeoutMs: 60000 });
    await local.stop();
    const good = readFrames(activeSegment(dataDir)).map((f) => f.payload);
    assert.equal(good.length, 2);

    const stream = 'bklit:events:0';
    await redisCommand(redis.port, ['XADD', stream, '*', 'p', withNewEventId(good[0], 11)]);
    const badId = await redisCommand(redis.port, ['XADD', stream, '*', 'p', BAD_RECORD]);
    await redisCommand(redis.port, ['XADD', stream, '*', 'p', withNewEventId(good[1], 12)]);

    server = new BklitServer(dataDir, flags);
    await server.start();
    await waitForTotals(server, project, { pageviews: 6 }, { timeoutMs: 60000 });
    await pollUntil(() => readyz(server), (r) => r.dead_letters === 1,
      { what: 'one dead letter in /readyz' });

    const args = ['--queue', 'redis', '--redis-url', redis.url];
    const text = deadLetters(args);
    assert.match(text, /^1 dead letter in the redis queue/);
    assert.match(text, /unknown record format version 9 /);
    const json = JSON.parse(deadLetters([...args, '--json']));
    assert.equal(json.queue, 'redis');
    assert.equal(json.dead_letters.length, 1);
    const [letter] = json.dead_letters;
    assert.equal(letter.shard, 0);
    assert.equal(letter.payload_hex, BAD_RECORD.toString('hex'));
    // seq = (stream id ms << 20) | n: beyond a JavaScript number, so read from the text.
    const [ms, n] = badId.split('-').map(BigInt);
    assert.match(text, new RegExp(`shard 0  seq ${(ms << 20n) | n}  `));
    await server.stop();
  }
});
