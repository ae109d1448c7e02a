/**
 * Hostile input against a real process: fast-check generates HTTP bodies, headers and WebSocket
 * frames (random JSON, wrong types, huge payloads, garbage bytes). Every answer must be a typed
 * 4xx (or a success for inputs that happen to be valid), every bad frame an error frame or a clean
 * close — never a 5xx — and the server must keep serving afterwards.
 */
import { once } from 'node:events';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { api, createServer, removeTempDirs, type ServerProcess, token } from './support/server-process.js';

let server: ServerProcess;
let user: string;
let device: string;

beforeAll(async () => {
  server = await createServer({
    args: [
      '--max-body-bytes',
      '8192',
      '--max-ws-payload-bytes',
      '16384',
      '--ws-messages-per-second',
      '10000',
    ],
  });
  await server.start();
  user = await token('fuzzer');
  const res = await api(server.url, user)('POST', '/v1/devices');
  device = (res.json as { token: string }).token;
});

afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  removeTempDirs();
});

const TYPED = /^[A-Z][A-Z0-9_]+$/;

function expectTyped(res: { status: number; json: unknown }, context: unknown): void {
  if (res.status >= 200 && res.status < 300) return;
  expect({ context, status: res.status }).toMatchObject({ status: expect.any(Number) });
  expect(res.status, JSON.stringify({ context, res })).toBeGreaterThanOrEqual(400);
  expect(res.status, JSON.stringify({ context, res })).toBeLessThan(500);
  const code = (res.json as { error?: { code?: unknown } }).error?.code;
  expect(typeof code === 'string' && TYPED.test(code), JSON.stringify({ context, res })).toBe(true);
}

const body: fc.Arbitrary<string> = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 200 }),
  fc
    .record({ productId: fc.anything({ maxDepth: 1 }), quantity: fc.anything({ maxDepth: 1 }) })
    .map((v) => JSON.stringify(v) ?? 'null'),
  fc
    .record({ productId: fc.string({ maxLength: 140 }), quantity: fc.oneof(fc.integer(), fc.double()) })
    .map((v) => JSON.stringify(v)),
  fc
    .record({ delta: fc.oneof(fc.base64String({ maxLength: 400 }), fc.string({ maxLength: 50 })) })
    .map((v) => JSON.stringify(v)),
  fc.constant('x'.repeat(20_000)),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
);

describe('fuzzing a live server', () => {
  it('answers random HTTP bodies with 2xx or typed 4xx', async () => {
    const asUser = api(server.url, user);
    const asDevice = api(server.url, device);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          ['POST', '/v1/carts/fz/items'],
          ['PUT', '/v1/carts/fz/items/p1'],
          ['POST', '/v1/carts/fz/merge'],
          ['POST', '/v1/devices'],
        ),
        body,
        fc.boolean(),
        async ([method, path], b, asDev) => {
          const res = await (asDev ? asDevice : asUser)(method, path, b);
          expectTyped(res, { method, path, b: b.slice(0, 100) });
        },
      ),
      { numRuns: 120 },
    );
  });

  it('answers random headers and paths with typed errors', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.constant(`Bearer ${'a'.repeat(5000)}`),
          fc.string({ maxLength: 100 }).map((s) => `Bearer ${s}`),
        ),
        fc.string({ maxLength: 80 }),
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        async (authorization, segment, method) => {
          // Header values must be ByteStrings for fetch; drop characters it would refuse.
          const auth = authorization.replace(/[^\x20-\x7e]/g, '');
          const path = `/v1/carts/${encodeURIComponent(segment)}/items`;
          const res = await api(server.url)(method, path, method === 'GET' ? undefined : '{}', {
            authorization: auth,
            'content-type': 'application/json',
          });
          expectTyped(res, { auth: auth.slice(0, 50), path, method });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('answers random WebSocket frames with error frames or a clean close, and keeps serving', async () => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/sync?token=${device}`);
    await once(ws, 'open');
    const frames: { t?: string; code?: string }[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as { t?: string; code?: string }));
    const frame = fc.oneof(
      fc.json({ maxDepth: 3 }),
      fc.record({ t: fc.constantFrom('hello', 'delta', 'ack', 'x'), cartId: fc.anything({ maxDepth: 0 }) }),
      fc.record({
        t: fc.constant('delta'),
        cartId: fc.constant('fz'),
        seq: fc.oneof(fc.integer(), fc.double(), fc.string()),
        delta: fc.base64String({ maxLength: 200 }),
      }),
      fc.record({
        t: fc.constant('hello'),
        cartId: fc.constant('fz'),
        context: fc.base64String({ maxLength: 200 }),
      }),
    );
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          frame.map((f) => JSON.stringify(f)),
          fc.uint8Array({ maxLength: 200 }),
        ),
        async (f) => {
          ws.send(f);
          sent++;
        },
      ),
      { numRuns: 150 },
    );
    // Every frame was answered (valid hellos with a welcome, the rest with typed errors).
    const start = Date.now();
    while (frames.length < sent && Date.now() - start < 30_000) await new Promise((r) => setTimeout(r, 50));
    expect(frames.length).toBeGreaterThanOrEqual(sent);
    for (const f of frames) {
      expect(['welcome', 'error', 'delta', 'ack']).toContain(f.t);
      if (f.t === 'error') expect(f.code).toMatch(TYPED);
    }
    // An oversized frame closes the socket cleanly (1009 message too big).
    const closed = once(ws, 'close');
    ws.send('x'.repeat(20_000));
    const [code] = (await closed) as [number];
    expect(code).toBe(1009);
    // Garbage on the upgrade path and unknown WebSocket paths are refused with HTTP errors.
    const bad = new WebSocket(`${server.url.replace('http', 'ws')}/v1/nowhere`);
    bad.on('error', () => {});
    const [, res] = (await once(bad, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(res.statusCode).toBe(404);
    bad.terminate();

    const after = await api(server.url, user)('POST', '/v1/carts/after/items', { productId: 'p-0000001' });
    expect(after.status).toBe(200);
    expect((await api(server.url)('GET', '/healthz')).status).toBe(200);
  });
});
