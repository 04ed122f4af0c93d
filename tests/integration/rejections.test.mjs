// Every way ingestion refuses a message, through the real binary. Each rejection must store
// nothing: after it, a valid control pageview goes over another connection, and once the
// control is counted the project's totals must equal exactly what was legitimately sent.
// The control also shows that the server keeps serving other clients.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  CHROME_UA, eventMessage, newSessionId, pageviewMessage, pollUntil, postLargeBody, postTrack,
  removeTempDir, sdkConnection, startServer, totals, WsClient,
} from '../support/bklit.mjs';

const METRICS = ['pageviews', 'events', 'visits'];

async function stopAndClean(server) {
  if (!server) return;
  try {
    await server.stop();
  } finally {
    removeTempDir(server.dataDir);
  }
}

// Sends one valid pageview to `controlProject` on a fresh connection, waits until the
// worker has stored it, then checks that every project in `expected` has exactly the
// totals given there (the control's own pageview and visit are added for it).
function makeBarrier(server, controlProject, expected) {
  let controls = 0;
  return async function assertNothingStored(label) {
    controls += 1;
    const ws = await sdkConnection(server, controlProject);
    try {
      ws.send(pageviewMessage({ projectId: controlProject.project_id, sessionId: ws.sessionId,
        url: `https://${controlProject.domain}/ok/${controls}`, apiKey: controlProject.ingest_token }));
      const [reply] = await ws.waitForReplies(1);
      assert.equal(reply.type, 'ack', `control after ${label} was not acked: ${JSON.stringify(reply)}`);
    } finally {
      await ws.close();
    }
    const mine = expected.get(controlProject);
    mine.pageviews += 1;
    mine.visits += 1;
    await pollUntil(() => totals(server, controlProject, ['pageviews']),
      (t) => t.pageviews >= mine.pageviews, { what: `control pageview after ${label}` });
    for (const [project, want] of expected) {
      const got = await totals(server, project, METRICS);
      assert.deepEqual(got, want, `after ${label}: totals of ${project.name}`);
    }
  };
}

function expectErrorFrame(frame, code) {
  assert.equal(frame.type, 'error', JSON.stringify(frame));
  assert.equal(frame.code, code, JSON.stringify(frame));
  assert.equal(typeof frame.message, 'string');
  assert.ok(frame.message.length > 0, 'error frames carry a message');
}

describe('rejections', { timeout: 110000 }, () => {
  let server;
  let A;
  let B;
  let P;
  let expected;
  let assertNothingStored;
  const originA = 'https://shop.example';

  before(async () => {
    server = await startServer({ projects: [
      { name: 'A', domain: 'shop.example' },
      { name: 'B', domain: 'other.example' },
      { name: 'P', domain: 'public.example', isPublic: true },
    ] });
    [A, B, P] = server.projects;
    A.name = 'A';
    B.name = 'B';
    P.name = 'P';
    const zero = () => ({ pageviews: 0, events: 0, visits: 0 });
    expected = new Map([[A, zero()], [B, zero()], [P, zero()]]);
    assertNothingStored = makeBarrier(server, A, expected);
  });

  after(() => stopAndClean(server));

  const pv = (project, sessionId, extra = {}) => pageviewMessage({
    projectId: project.project_id, sessionId, url: `https://${project.domain}/bad`,
    apiKey: project.ingest_token, ...extra,
  });

  test('malformed JSON gets an invalid_json error', async () => {
    const ws = await sdkConnection(server, A);
    ws.sendRaw('{"type":"pageview","data":{"url":"https://shop.example/bad"');
    expectErrorFrame(await ws.waitForFrame('error'), 'invalid_json');
    await ws.close();
    await assertNothingStored('malformed JSON');
  });

  test('errors keep their place among acks, and the connection stays usable', async () => {
    const ws = await sdkConnection(server, A);
    const good = (n) => pageviewMessage({ projectId: A.project_id, sessionId: ws.sessionId,
      url: `https://shop.example/mixed/${n}`, apiKey: A.ingest_token });
    ws.send(good(1));
    ws.sendRaw('not json');
    ws.send(good(2));
    ws.send({ type: 'pageview', data: { projectId: A.project_id } });
    ws.send(good(3));
    const replies = await ws.waitForReplies(5);
    assert.deepEqual(replies.map((r) => r.type === 'ack' ? 'ack' : r.code),
      ['ack', 'invalid_json', 'ack', 'missing_field', 'ack'], JSON.stringify(replies));
    await ws.close();
    expected.get(A).pageviews += 3;
    expected.get(A).visits += 1;
    await assertNothingStored('errors among acks');
  });

  test('a binary frame gets binary_not_supported, even with a valid pageview inside', async () => {
    const ws = await sdkConnection(server, A);
    ws.sendRaw(Buffer.from(JSON.stringify(pv(A, ws.sessionId))), { binary: true });
    expectErrorFrame(await ws.waitForFrame('error'), 'binary_not_supported');
    await ws.close();
    await assertNothingStored('binary frame');
  });

  test('an unknown message type gets unknown_type', async () => {
    const ws = await sdkConnection(server, A);
    const msg = pv(A, ws.sessionId);
    msg.type = 'purchase';
    ws.send(msg);
    expectErrorFrame(await ws.waitForFrame('error'), 'unknown_type');
    await ws.close();
    await assertNothingStored('unknown type');
  });

  test('a connection without projectId is closed with 1008', async () => {
    const sessionId = newSessionId();
    const ws = await WsClient.connect(server, { sessionId }, { origin: originA });
    ws.send(pv(A, sessionId));
    const closed = await ws.waitForClose();
    assert.equal(closed.code, 1008, JSON.stringify(closed));
    assert.ok(closed.reason.length > 0, 'the close frame gives a reason');
    assert.equal(ws.acks().length, 0);
    await assertNothingStored('missing projectId');
  });

  test('data.projectId that differs from the connection gets project_mismatch', async () => {
    const ws = await sdkConnection(server, A);
    ws.send(pv(A, ws.sessionId, { projectId: A.project_id, apiKey: A.ingest_token,
      extra: { projectId: B.project_id } }));
    const msg = pv(B, ws.sessionId);
    msg.apiKey = A.ingest_token;
    ws.send(msg);
    const replies = await ws.waitForReplies(2);
    expectErrorFrame(replies[0], 'project_mismatch');
    expectErrorFrame(replies[1], 'project_mismatch');
    await ws.close();
    await assertNothingStored('projectId mismatch');
  });

  test('data.sessionId that differs from the connection gets session_mismatch', async () => {
    const ws = await sdkConnection(server, A);
    ws.send(pv(A, newSessionId()));
    expectErrorFrame(await ws.waitForFrame('error'), 'session_mismatch');
    await ws.close();
    await assertNothingStored('sessionId mismatch');
  });

  test('a malformed sessionId in the URL is refused with 1008', async () => {
    const sessionId = '1732612345678-<script>';
    const ws = await WsClient.connect(server, { projectId: A.project_id, sessionId },
      { origin: originA });
    ws.send({ type: 'auth', apiKey: A.ingest_token });
    ws.send(pv(A, sessionId));
    const closed = await ws.waitForClose();
    assert.equal(closed.code, 1008, JSON.stringify(closed));
    assert.equal(ws.acks().length, 0);
    await assertNothingStored('malformed sessionId');
  });

  test('an unknown project is refused with 1008', async () => {
    const sessionId = newSessionId();
    const ws = await WsClient.connect(server, { projectId: 'no-such-project', sessionId },
      { origin: originA });
    ws.send({ type: 'auth', apiKey: A.ingest_token });
    ws.send(pageviewMessage({ projectId: 'no-such-project', sessionId,
      url: 'https://shop.example/bad', apiKey: A.ingest_token }));
    const closed = await ws.waitForClose();
    assert.equal(closed.code, 1008, JSON.stringify(closed));
    assert.equal(ws.acks().length, 0);
    assert.ok(!ws.frames.some((f) => f.type === 'auth_success'));
    await assertNothingStored('unknown project');
  });

  test('a non-public project without a token refuses the event and closes with 1008', async () => {
    const ws = await sdkConnection(server, A, { auth: false });
    const msg = pv(A, ws.sessionId);
    delete msg.apiKey;
    ws.send(msg);
    expectErrorFrame(await ws.waitForFrame('error'), 'unauthorized');
    assert.equal((await ws.waitForClose()).code, 1008);
    await assertNothingStored('missing token');
  });

  test('HTTP without a token answers 401', async () => {
    const msg = pv(A, newSessionId());
    delete msg.apiKey;
    const r = await postTrack(server, [msg], { headers: { origin: originA } });
    assert.equal(r.status, 401, r.text);
    assert.equal(r.json.accepted, 0);
    assert.equal(r.json.results[0].status, 'rejected');
    await assertNothingStored('HTTP missing token');
  });

  test('a bad token is refused (auth message and per-message apiKey)', async () => {
    const ws = await sdkConnection(server, A, { auth: false });
    ws.send({ type: 'auth', apiKey: `${A.ingest_token.slice(0, -4)}zzzz` });
    expectErrorFrame(await ws.waitForFrame('error'), 'token_invalid');
    assert.equal((await ws.waitForClose()).code, 1008);

    const ws2 = await sdkConnection(server, A, { auth: false });
    ws2.send(pv(A, ws2.sessionId, { apiKey: 'not-a-token' }));
    expectErrorFrame(await ws2.waitForFrame('error'), 'token_invalid');
    assert.equal((await ws2.waitForClose()).code, 1008);

    const r = await postTrack(server, [pv(A, newSessionId())], { token: 'bk_garbage',
      headers: { origin: originA } });
    // A per-message apiKey wins over the header; this one carries A's real token, so send
    // one without it to test the header.
    assert.equal(r.status, 202, `per-message apiKey is used: ${r.text}`);
    expected.get(A).pageviews += 1;
    expected.get(A).visits += 1;
    const bare = pv(A, newSessionId());
    delete bare.apiKey;
    const r2 = await postTrack(server, [bare], { token: 'bk_garbage', headers: { origin: originA } });
    assert.equal(r2.status, 401, r2.text);
    assert.equal(r2.json.results[0].code, 'token_invalid');
    await assertNothingStored('bad token');
  });

  test("project B's ingest token cannot write into project A", async () => {
    const ws = await sdkConnection(server, A, { auth: false });
    ws.send({ type: 'auth', apiKey: B.ingest_token });
    expectErrorFrame(await ws.waitForFrame('error'), 'token_wrong_project');
    assert.equal((await ws.waitForClose()).code, 1008);

    const msg = pv(A, newSessionId(), { apiKey: B.ingest_token });
    const r = await postTrack(server, [msg], { headers: { origin: originA } });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.results[0].code, 'token_wrong_project');
    await assertNothingStored("B's token for A");
  });

  test('a read token cannot ingest', async () => {
    const ws = await sdkConnection(server, A, { auth: false });
    ws.send({ type: 'auth', apiKey: A.read_token });
    expectErrorFrame(await ws.waitForFrame('error'), 'token_missing_scope');
    assert.equal((await ws.waitForClose()).code, 1008);

    const msg = pv(A, newSessionId());
    delete msg.apiKey;
    const r = await postTrack(server, [msg], { token: A.read_token, headers: { origin: originA } });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.results[0].code, 'token_missing_scope');
    await assertNothingStored('read token');
  });

  test('a disallowed Origin is refused; a subdomain of the project domain is accepted', async () => {
    for (const origin of ['https://evil.example', 'https://evilshop.example',
      'https://shop.example.evil.example', 'null']) {
      const ws = await sdkConnection(server, A, { auth: false, origin });
      ws.send({ type: 'auth', apiKey: A.ingest_token });
      expectErrorFrame(await ws.waitForFrame('error'), 'forbidden_origin');
      assert.equal((await ws.waitForClose()).code, 1008, origin);
    }
    const r = await postTrack(server, [pv(A, newSessionId())],
      { headers: { origin: 'https://evil.example' } });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.results[0].code, 'forbidden_origin');
    await assertNothingStored('disallowed origin');

    const ok = await sdkConnection(server, A, { origin: 'https://blog.shop.example:8443' });
    ok.send(pageviewMessage({ projectId: A.project_id, sessionId: ok.sessionId,
      url: 'https://blog.shop.example/post', apiKey: A.ingest_token }));
    const [reply] = await ok.waitForReplies(1);
    assert.equal(reply.type, 'ack', JSON.stringify(reply));
    await ok.close();
    expected.get(A).pageviews += 1;
    expected.get(A).visits += 1;
    await assertNothingStored('allowed subdomain');
  });

  test('an oversized frame closes the connection with 1009', async () => {
    const ws = await sdkConnection(server, A);
    const msg = pv(A, ws.sessionId, { extra: { language: 'x'.repeat(40 * 1024) } });
    ws.send(msg);
    const closed = await ws.waitForClose();
    assert.equal(closed.code, 1009, JSON.stringify(closed));
    assert.equal(ws.acks().length, 0);
    await assertNothingStored('oversized frame');
  });

  test('an oversized HTTP body answers 413', async () => {
    const r = await postLargeBody(server, '/api/track', 1024 * 1024 + 4096,
      { authorization: `Bearer ${A.ingest_token}`, origin: originA });
    assert.equal(r.status, 413, r.text);
    await assertNothingStored('oversized HTTP body');
  });

  test('too many metadata properties get too_many_properties', async () => {
    const metadata = {};
    for (let i = 0; i < 31; ++i) metadata[`k${i}`] = `v${i}`;
    const ws = await sdkConnection(server, A);
    // The SDK adds triggerMethod, so 30 user keys are already one too many.
    ws.send(eventMessage({ projectId: A.project_id, sessionId: ws.sessionId, metadata,
      apiKey: A.ingest_token }));
    expectErrorFrame(await ws.waitForFrame('error'), 'too_many_properties');
    await ws.close();
    const r = await postTrack(server, [eventMessage({ projectId: A.project_id,
      sessionId: newSessionId(), metadata })], { token: A.ingest_token, headers: { origin: originA } });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.results[0].code, 'too_many_properties');
    await assertNothingStored('too many metadata properties');
  });

  test('a metadata value longer than 500 bytes gets string_too_long', async () => {
    const ws = await sdkConnection(server, A);
    ws.send(eventMessage({ projectId: A.project_id, sessionId: ws.sessionId,
      metadata: { note: 'n'.repeat(501) }, apiKey: A.ingest_token }));
    expectErrorFrame(await ws.waitForFrame('error'), 'string_too_long');
    await ws.close();
    await assertNothingStored('metadata value too long');
  });

  test('HTTP bodies that are not a batch of messages answer 400 or 413', async () => {
    const opts = { token: A.ingest_token, headers: { origin: originA } };
    const notJson = await postTrack(server, '[{"type":"pageview",', opts);
    assert.equal(notJson.status, 400, notJson.text);
    const empty = await postTrack(server, [], opts);
    assert.equal(empty.status, 400, empty.text);
    const scalar = await postTrack(server, '42', opts);
    assert.equal(scalar.status, 400, scalar.text);
    const many = Array.from({ length: 501 }, () => pv(A, newSessionId()));
    const tooMany = await postTrack(server, many, opts);
    assert.equal(tooMany.status, 413, tooMany.text.slice(0, 300));
    await assertNothingStored('bad HTTP bodies');
  });

  test('nested metadata gets nested_metadata', async () => {
    const ws = await sdkConnection(server, A);
    ws.send(eventMessage({ projectId: A.project_id, sessionId: ws.sessionId,
      metadata: { plan: { name: 'pro' } }, apiKey: A.ingest_token }));
    ws.send(eventMessage({ projectId: A.project_id, sessionId: ws.sessionId,
      metadata: { plans: ['pro', 'free'] }, apiKey: A.ingest_token }));
    const replies = await ws.waitForReplies(2);
    expectErrorFrame(replies[0], 'nested_metadata');
    expectErrorFrame(replies[1], 'nested_metadata');
    await ws.close();
    await assertNothingStored('nested metadata');
  });

  test('a url longer than 2048 bytes gets string_too_long', async () => {
    const ws = await sdkConnection(server, A);
    const url = `https://shop.example/${'p'.repeat(2100)}`;
    ws.send(pageviewMessage({ projectId: A.project_id, sessionId: ws.sessionId, url,
      apiKey: A.ingest_token }));
    expectErrorFrame(await ws.waitForFrame('error'), 'string_too_long');
    await ws.close();
    await assertNothingStored('url too long');
  });

  test('HTTP batch with one bad message: 202, the good one stored, the bad one not', async () => {
    const good = pv(A, newSessionId());
    good.data.url = 'https://shop.example/batch-good';
    const bad = eventMessage({ projectId: A.project_id, sessionId: newSessionId(),
      metadata: { nested: { x: 1 } } });
    const r = await postTrack(server, [good, bad, 'not an object'], { token: A.ingest_token,
      headers: { origin: originA, 'user-agent': CHROME_UA } });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.json.accepted, 1);
    assert.equal(r.json.rejected, 2);
    assert.equal(r.json.results[0].status, 'accepted');
    assert.equal(r.json.results[1].status, 'rejected');
    assert.equal(r.json.results[1].code, 'nested_metadata');
    assert.equal(r.json.results[2].status, 'rejected');
    expected.get(A).pageviews += 1;
    expected.get(A).visits += 1;
    await assertNothingStored('HTTP mixed batch');
  });

  test('a public project accepts events without a token, but not with a bad one', async () => {
    const ws = await sdkConnection(server, P, { auth: false });
    const msg = pv(P, ws.sessionId);
    delete msg.apiKey;
    ws.send(msg);
    const [reply] = await ws.waitForReplies(1);
    assert.equal(reply.type, 'ack', JSON.stringify(reply));
    await ws.close();
    expected.get(P).pageviews += 1;
    expected.get(P).visits += 1;

    const ws2 = await sdkConnection(server, P, { auth: false });
    ws2.send(pv(P, ws2.sessionId, { apiKey: A.ingest_token }));
    expectErrorFrame(await ws2.waitForFrame('error'), 'token_wrong_project');
    await ws2.close();
    await assertNothingStored('public project');
  });
});

describe('rate limits', { timeout: 110000 }, () => {
  let server;
  let R1;
  let R2;
  let R3;
  let expected;
  let assertNothingStored;

  before(async () => {
    server = await startServer({
      flags: {
        'rate-limit-connection-per-s': 1,
        'rate-limit-connection-burst': 5,
        'rate-limit-project-per-s': 0.05,
        'rate-limit-project-burst': 5,
      },
      projects: [
        { name: 'R1', domain: 'r1.example' },
        { name: 'R2', domain: 'r2.example' },
        { name: 'R3', domain: 'r3.example' },
      ],
    });
    [R1, R2, R3] = server.projects;
    R1.name = 'R1';
    R2.name = 'R2';
    R3.name = 'R3';
    const zero = () => ({ pageviews: 0, events: 0, visits: 0 });
    expected = new Map([[R1, zero()], [R2, zero()], [R3, zero()]]);
    assertNothingStored = makeBarrier(server, R3, expected);
  });

  after(() => stopAndClean(server));

  test('per connection: messages beyond the burst get rate_limited error frames', async () => {
    const ws = await sdkConnection(server, R1);
    for (let i = 0; i < 12; ++i) {
      ws.send(pageviewMessage({ projectId: R1.project_id, sessionId: ws.sessionId,
        url: `https://r1.example/n/${i}`, apiKey: R1.ingest_token }));
    }
    const replies = await ws.waitForReplies(12);
    const acks = replies.filter((f) => f.type === 'ack');
    const errors = replies.filter((f) => f.type === 'error');
    assert.ok(acks.length >= 1 && acks.length <= 5, `acks: ${acks.length}`);
    assert.ok(errors.length >= 7, `errors: ${errors.length}`);
    for (const e of errors) expectErrorFrame(e, 'rate_limited');
    // The connection is slowed down, not dropped.
    assert.equal(ws.closeInfo, null);
    await ws.close();
    expected.get(R1).pageviews += acks.length;
    expected.get(R1).visits += 1;
    await assertNothingStored('per-connection rate limit');
  });

  test('per project over HTTP: beyond the burst rejected, then 429', async () => {
    const batch = [];
    for (let i = 0; i < 8; ++i) {
      batch.push(pageviewMessage({ projectId: R2.project_id, sessionId: newSessionId(),
        url: `https://r2.example/n/${i}` }));
    }
    const r = await postTrack(server, batch, { token: R2.ingest_token,
      headers: { origin: 'https://r2.example' } });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.json.accepted, 5, r.text);
    assert.equal(r.json.rejected, 3);
    for (const res of r.json.results.slice(5)) {
      assert.equal(res.status, 'rejected');
      assert.equal(res.code, 'rate_limited');
    }
    expected.get(R2).pageviews += 5;
    expected.get(R2).visits += 5;

    const r2 = await postTrack(server, batch.slice(0, 2), { token: R2.ingest_token,
      headers: { origin: 'https://r2.example' } });
    assert.equal(r2.status, 429, r2.text);
    assert.equal(r2.json.accepted, 0);
    assert.deepEqual(r2.json.results.map((x) => x.code), ['rate_limited', 'rate_limited']);
    await assertNothingStored('per-project rate limit');
  });
});
