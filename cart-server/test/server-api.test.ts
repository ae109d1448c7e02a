import { once } from 'node:events';
import {
  Cart,
  cartFromJSON,
  cartToJSON,
  decodeCartDelta,
  decodeContext,
  encodeCartDelta,
  encodeContext,
} from '@cartwheel/crdt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { api, createServer, removeTempDirs, type ServerProcess, token } from './support/server-process.js';
import { registerDevice as registerWith, SyncPeer } from './support/sync-peer.js';

let server: ServerProcess;

beforeAll(async () => {
  server = await createServer({ args: ['--max-body-bytes', '4096', '--max-lines-per-cart', '20'] });
  await server.start();
});

afterAll(async () => {
  const code = await server?.stop();
  expect(code).toBe(0);
  removeTempDirs();
});

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

interface CartBody {
  lines: { productId: string; quantity: number; meta?: Record<string, unknown> }[];
  totalQuantity: number;
  context: string;
}

async function registerDevice(user: string): Promise<{ actor: string; token: string }> {
  return registerWith(server.url, await token(user));
}

describe('cart server API (one real process)', () => {
  it('serves health, readiness, metrics and the OpenAPI document', async () => {
    const call = api(server.url);
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect((await call('GET', '/readyz')).json).toMatchObject({ ready: true });
    const openapi = (await call('GET', '/openapi.json')).json as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths)).toContain('/v1/carts/{cartId}/items');
    const status = (await call('GET', '/v1/cluster/status')).json as {
      node: string;
      ownership: Record<string, number>;
    };
    expect(status.node).toBe('n1');
    expect(status.ownership.n1).toBe(64);
    await call('GET', '/nope');
    const metrics = (await call('GET', '/metrics')).json as string;
    expect(metrics).toContain('cartwheel_http_requests_total');
    expect(metrics).toContain('cartwheel_hinted_handoff_backlog');
    expect(metrics).toContain('cartwheel_quorum_failures_total');
  });

  it('mounts the catalog/search and orders sub-apps with the shared error mapping', async () => {
    const categories = await api(server.url)('GET', '/v1/categories');
    expect(categories.status).toBe(200);
    expect((categories.json as { categories: unknown[] }).categories.length).toBeGreaterThan(0);
    expect((await api(server.url)('POST', '/v1/orders', {})).json).toMatchObject({
      error: { code: 'UNAUTHORIZED' },
    });
    const noKey = await api(server.url, await token('shopper'))('POST', '/v1/orders', { cartId: 'main' });
    expect(noKey.status).toBeGreaterThanOrEqual(400);
    expect(noKey.status).toBeLessThan(500);
  });

  it('adds, sets, removes and clears lines of the caller’s own cart (whole cart on request)', async () => {
    const alice = api(server.url, await token('alice'));
    const full = { prefer: 'return=representation' };
    let res = await alice('GET', '/v1/carts/main');
    expect(res.status).toBe(200);
    expect((res.json as CartBody).lines).toEqual([]);
    res = await alice('POST', '/v1/carts/main/items', {
      productId: 'p-0000001',
      quantity: 2,
      meta: { priceMinor: 1299 },
    });
    expect(res.status).toBe(200);
    res = await alice('POST', '/v1/carts/main/items', { productId: 'p-0000001', quantity: 3 }, full);
    res = await alice('POST', '/v1/carts/main/items', { productId: 'p-0000002' }, full);
    expect(res.headers.get('preference-applied')).toBe('return=representation');
    expect((res.json as CartBody).lines).toEqual([
      { productId: 'p-0000001', quantity: 5, meta: { priceMinor: 1299 } },
      { productId: 'p-0000002', quantity: 1 },
    ]);
    res = await alice('PUT', '/v1/carts/main/items/p-0000001', { quantity: 7 }, full);
    expect((res.json as CartBody).lines[0]).toMatchObject({ productId: 'p-0000001', quantity: 7 });
    res = await alice('DELETE', '/v1/carts/main/items/p-0000002', undefined, full);
    expect((res.json as CartBody).lines.map((l) => l.productId)).toEqual(['p-0000001']);
    res = await alice('PUT', '/v1/carts/main/items/p-0000001', { quantity: 0 }, full);
    expect((res.json as CartBody).lines).toEqual([]);
    await alice('POST', '/v1/carts/main/items', { productId: 'p-0000003' });
    res = await alice('DELETE', '/v1/carts/main');
    expect(res.json).toMatchObject({ lines: [], totalQuantity: 0 });
  });

  it('answers add, set and remove with the changed line and the cart version, not the whole cart', async () => {
    const u = api(server.url, await token('compact'));
    for (let i = 0; i < 10; i++)
      await u('POST', '/v1/carts/main/items', { productId: `p-${String(20 + i).padStart(7, '0')}` });
    let res = await u('POST', '/v1/carts/main/items', {
      productId: 'p-0000001',
      quantity: 2,
      meta: { priceMinor: 5 },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBeNull();
    expect(res.json).toEqual({
      cartId: 'main',
      changed: [{ productId: 'p-0000001', quantity: 2, meta: { priceMinor: 5 } }],
      context: expect.any(String),
    });
    // The version is the cart's causal context: the one a full read reports.
    const read = (await u('GET', '/v1/carts/main')).json as CartBody;
    expect((res.json as { context: string }).context).toBe(read.context);
    res = await u('PUT', '/v1/carts/main/items/p-0000001', { quantity: 9 });
    expect((res.json as { changed: unknown }).changed).toEqual([
      { productId: 'p-0000001', quantity: 9, meta: { priceMinor: 5 } },
    ]);
    res = await u('DELETE', '/v1/carts/main/items/p-0000001');
    expect((res.json as { changed: unknown }).changed).toEqual([{ productId: 'p-0000001', quantity: 0 }]);
    res = await u('PUT', '/v1/carts/main/items/p-0000023', { quantity: 0 });
    expect((res.json as { changed: unknown }).changed).toEqual([{ productId: 'p-0000023', quantity: 0 }]);
    // Prefer is parsed as RFC 7240 lists it: among other preferences, any case, quoted.
    res = await u(
      'POST',
      '/v1/carts/main/items',
      { productId: 'p-0000002' },
      {
        prefer: 'respond-async, RETURN="representation"; x=1',
      },
    );
    expect((res.json as CartBody).lines).toHaveLength(10);
    res = await u('POST', '/v1/carts/main/items', { productId: 'p-0000002' }, { prefer: 'return=minimal' });
    expect((res.json as { changed: unknown }).changed).toEqual([{ productId: 'p-0000002', quantity: 2 }]);
  });

  it('never lets a user read or change another user’s cart', async () => {
    const alice = api(server.url, await token('alice2'));
    const bob = api(server.url, await token('bob2'));
    await alice('POST', '/v1/carts/shared-name/items', { productId: 'p-0000011' });
    expect(((await bob('GET', '/v1/carts/shared-name')).json as CartBody).lines).toEqual([]);
    await bob('DELETE', '/v1/carts/shared-name');
    await bob('POST', '/v1/carts/shared-name/items', { productId: 'p-0000012' });
    expect(
      ((await alice('GET', '/v1/carts/shared-name')).json as CartBody).lines.map((l) => l.productId),
    ).toEqual(['p-0000011']);
    // There is no way to name another user's cart: ids with '/' do not route or do not validate.
    expect((await bob('GET', '/v1/carts/alice2%2Fshared-name')).status).toBe(400);
    // The admin-only local view is refused to users.
    expect((await bob('GET', '/v1/admin/carts/alice2/shared-name/local')).status).toBe(403);
  });

  it('refuses missing, forged and expired tokens with 401', async () => {
    expect((await api(server.url)('GET', '/v1/carts/main')).status).toBe(401);
    const { signToken } = await import('../src/auth/tokens.js');
    // Signed with another secret, and alice's payload under mallory's signature.
    const otherSecret = await signToken('not-the-server-secret-not-the-server-secret', {
      sub: 'mallory',
      role: 'admin',
    });
    const [, alicePayload] = (await token('alice')).split('.');
    const [head, , sig] = (await token('mallory')).split('.');
    for (const forged of [otherSecret, `${head}.${alicePayload}.${sig}`]) {
      const res = await api(server.url, forged)('GET', '/v1/carts/main');
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    }
    const expired = await signToken(
      'cart-server-test-secret-0123456789abcdef',
      { sub: 'late', role: 'user' },
      { ttlSeconds: 1, now: () => Date.now() - 3_600_000 },
    );
    expect((await api(server.url, expired)('GET', '/v1/carts/main')).json).toMatchObject({
      error: { code: 'TOKEN_EXPIRED' },
    });
  });

  it('answers bad input with typed 4xx errors', async () => {
    const u = api(server.url, await token('validator'));
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/v1/carts/main/items', '{not json', 400, 'INVALID_JSON'],
      ['POST', '/v1/carts/main/items', { productId: '', quantity: 1 }, 400, 'VALIDATION_FAILED'],
      ['POST', '/v1/carts/main/items', { productId: 'a', quantity: 0 }, 400, 'VALIDATION_FAILED'],
      ['POST', '/v1/carts/main/items', { productId: 'a', quantity: 1e9 }, 400, 'VALIDATION_FAILED'],
      ['POST', '/v1/carts/main/items', { productId: 'a', quantity: 1.5 }, 400, 'VALIDATION_FAILED'],
      ['POST', '/v1/carts/main/items', { productId: 'a', extra: true }, 400, 'VALIDATION_FAILED'],
      ['POST', '/v1/carts/bad%20id/items', { productId: 'a' }, 400, 'VALIDATION_FAILED'],
      ['POST', '/v1/carts/main/items', { productId: 'x'.repeat(5000) }, 413, 'PAYLOAD_TOO_LARGE'],
      ['POST', '/v1/carts/main/merge', { delta: 'AAAA' }, 403, 'DEVICE_REQUIRED'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await u(method, path, body);
      expect({ path, body, status: res.status, json: res.json }).toMatchObject({
        status,
        json: { error: { code } },
      });
    }
  });

  it('bounds lines per cart', async () => {
    const u = api(server.url, await token('hoarder'));
    for (let i = 0; i < 20; i++)
      expect(
        (await u('POST', '/v1/carts/big/items', { productId: `p-${String(100 + i).padStart(7, '0')}` }))
          .status,
      ).toBe(200);
    const res = await u('POST', '/v1/carts/big/items', { productId: 'p-0000050' });
    expect(res).toMatchObject({ status: 400, json: { error: { code: 'CART_TOO_LARGE' } } });
    expect((await u('POST', '/v1/carts/big/items', { productId: 'p-0000103' })).status).toBe(200);
  });

  it('bounds lines on PUT too (issue: 50 PUTs of new ids after 500 adds made 550 lines)', async () => {
    const u = api(server.url, await token('putter'));
    for (let i = 0; i < 20; i++)
      expect(
        (await u('POST', '/v1/carts/big/items', { productId: `p-${String(100 + i).padStart(7, '0')}` }))
          .status,
      ).toBe(200);
    for (let i = 0; i < 3; i++) {
      const res = await u('PUT', `/v1/carts/big/items/p-${String(150 + i).padStart(7, '0')}`, {
        quantity: 2,
      });
      expect(res).toMatchObject({ status: 400, json: { error: { code: 'CART_TOO_LARGE' } } });
    }
    expect(((await u('GET', '/v1/carts/big')).json as CartBody).lines).toHaveLength(20);
    // Existing lines can still be set, and a removal (quantity 0) makes room for one new line.
    expect((await u('PUT', '/v1/carts/big/items/p-0000101', { quantity: 5 })).status).toBe(200);
    expect((await u('PUT', '/v1/carts/big/items/p-0000102', { quantity: 0 })).status).toBe(200);
    expect((await u('PUT', '/v1/carts/big/items/p-0000150', { quantity: 2 })).status).toBe(200);
    expect((await u('PUT', '/v1/carts/big/items/p-0000151', { quantity: 2 })).status).toBe(400);
    expect(((await u('GET', '/v1/carts/big')).json as CartBody).lines).toHaveLength(20);
  });

  it('merges a device delta over HTTP and refuses forged dots', async () => {
    const device = await registerDevice('carol');
    const carol = api(server.url, device.token);
    const replica = Cart.create({ actor: device.actor });
    const d1 = replica.add('p-0000009', 4);
    let res = await carol('POST', '/v1/carts/main/merge', { delta: b64(encodeCartDelta(d1)) });
    expect(res.status).toBe(200);
    expect((res.json as CartBody).lines).toEqual([{ productId: 'p-0000009', quantity: 4 }]);
    // A delta minting dots of another actor (another device, or a server vnode) is refused.
    const impostor = Cart.create({ actor: '3f1b9a0e-2c4d-4e5f-8a6b-7c8d9e0f1a2b' });
    res = await carol('POST', '/v1/carts/main/merge', {
      delta: b64(encodeCartDelta(impostor.add('p-0000009', 100))),
    });
    expect(res).toMatchObject({ status: 403, json: { error: { code: 'FORBIDDEN_DOTS' } } });
    res = await carol('POST', '/v1/carts/main/merge', { delta: b64(new Uint8Array([1, 2, 3, 4, 5])) });
    expect(res).toMatchObject({ status: 400, json: { error: { code: 'CRDT_DECODE_ERROR' } } });
    // The device's own known dot re-sent with another value (issue: the forgery stayed on the
    // replicas that lacked the dot and made join non-commutative) is refused too.
    const json = cartToJSON(d1);
    json.lines['p-0000009'] = json.lines['p-0000009']!.map((e) => ({ ...e, value: 99 }));
    res = await carol('POST', '/v1/carts/main/merge', { delta: b64(encodeCartDelta(cartFromJSON(json))) });
    expect(res).toMatchObject({ status: 403, json: { error: { code: 'FORBIDDEN_DOTS' } } });
    // A delta whose causal past the server never saw (d3 depends on d2) is a 409, nothing stored.
    replica.add('p-0000009', 1);
    const d3 = replica.add('p-0000009', 1);
    res = await carol('POST', '/v1/carts/main/merge', { delta: b64(encodeCartDelta(d3)) });
    expect(res).toMatchObject({ status: 409, json: { error: { code: 'CRDT_CAUSAL_GAP' } } });
    expect(((await carol('GET', '/v1/carts/main')).json as CartBody).lines).toEqual([
      { productId: 'p-0000009', quantity: 4 },
    ]);
    const devices = (await carol('GET', '/v1/devices')).json as { devices: { actor: string }[] };
    expect(devices.devices.map((d) => d.actor)).toContain(device.actor);
  });

  it("re-issues a token for an actor the same user registered, lets a device claim its own, refuses another user's", async () => {
    const device = await registerDevice('erin');
    const erin = api(server.url, await token('erin'));
    // A device whose token expired logs in as the user again and asks for its actor back.
    const res = await erin('POST', '/v1/devices', { actor: device.actor });
    expect(res.status).toBe(200);
    const again = res.json as { actor: string; token: string };
    expect(again.actor).toBe(device.actor);
    const claims = JSON.parse(Buffer.from(again.token.split('.')[1] ?? '', 'base64url').toString()) as {
      sub: string;
      act: string;
    };
    expect(claims).toMatchObject({ sub: 'erin', act: device.actor });
    // The new token mints dots for the same actor.
    const replica = Cart.create({ actor: device.actor });
    const merged = await api(server.url, again.token)('POST', '/v1/carts/main/merge', {
      delta: b64(encodeCartDelta(replica.add('p-0000001', 1))),
    });
    expect(merged.status).toBe(200);
    // Re-issuing does not register a new device.
    const devices = (await erin('GET', '/v1/devices')).json as { devices: { actor: string }[] };
    expect(devices.devices.filter((d) => d.actor === device.actor)).toHaveLength(1);
    // Another user can never obtain a token for erin's actor.
    const mallory = api(server.url, await token('mallory'));
    expect(await mallory('POST', '/v1/devices', { actor: device.actor })).toMatchObject({
      status: 409,
      json: { error: { code: 'ACTOR_CONFLICT' } },
    });
    // An actor nobody claimed yet (a device that minted offline first) becomes the claimer's:
    // first claim wins, erin's later claim of it is refused.
    const chosen = '3f1b9a0e-2c4d-4e5f-8a6b-7c8d9e0f1a2b';
    expect(await mallory('POST', '/v1/devices', { actor: chosen })).toMatchObject({
      status: 201,
      json: { actor: chosen },
    });
    expect(await mallory('POST', '/v1/devices', { actor: chosen })).toMatchObject({ status: 200 });
    expect(await erin('POST', '/v1/devices', { actor: chosen })).toMatchObject({
      status: 409,
      json: { error: { code: 'ACTOR_CONFLICT' } },
    });
    expect(await mallory('POST', '/v1/devices', { actor: 'not-a-uuid' })).toMatchObject({ status: 400 });
  });

  it('syncs over WebSocket: welcome with what the client lacks, acks, pushes to other devices', async () => {
    const phone = await registerDevice('dave');
    const laptop = await registerDevice('dave');
    const daveHttp = api(server.url, await token('dave'));
    await daveHttp('POST', '/v1/carts/main/items', { productId: 'p-0000013', quantity: 2 });

    const a = await SyncPeer.open(server.url, phone.token, 'protocol');
    const b = await SyncPeer.open(server.url, laptop.token);
    const phoneCart = Cart.create({ actor: phone.actor });
    a.send({ t: 'hello', cartId: 'main', context: b64(encodeContext(phoneCart.context())) });
    const welcome = await a.next((f) => f.t === 'welcome');
    phoneCart.applyDelta(decodeCartDelta(unb64(welcome.delta as string)));
    expect(phoneCart.lines()).toEqual([{ productId: 'p-0000013', quantity: 2 }]);
    expect(decodeContext(unb64(welcome.context as string))).toBeDefined();
    const laptopCart = Cart.create({ actor: laptop.actor });
    b.send({ t: 'hello', cartId: 'main', context: b64(encodeContext(laptopCart.context())) });
    const laptopWelcome = await b.next((f) => f.t === 'welcome');
    laptopCart.applyDelta(decodeCartDelta(unb64(laptopWelcome.delta as string)));

    const delta = phoneCart.add('p-0000015', 1);
    a.send({ t: 'delta', cartId: 'main', seq: 1, delta: b64(encodeCartDelta(delta)) });
    expect(await a.next((f) => f.t === 'ack' || f.t === 'error')).toEqual({ t: 'ack', seq: 1 });
    const pushed = await b.next((f) => f.t === 'delta');
    // delivery contract: the push depends on what the laptop's welcome brought, so it joins now
    expect(laptopCart.applyDelta(decodeCartDelta(unb64(pushed.delta as string)))).toBe(true);
    expect(laptopCart.get('p-0000015')?.quantity).toBe(1);
    // HTTP changes are pushed too.
    await daveHttp('POST', '/v1/carts/main/items', { productId: 'p-0000014', quantity: 1 });
    await b.next((f) => f.t === 'delta' && decodeCartDelta(unb64(f.delta as string)) !== undefined);

    // The laptop may not mint the phone's dots.
    const forged = Cart.create({ actor: phone.actor });
    forged.applyDelta(phoneCart.state());
    a.send({ t: 'delta', cartId: 'main', seq: 2, delta: b64(encodeCartDelta(forged.add('p-0000016', 9))) });
    expect(await a.next((f) => f.t === 'ack' || f.t === 'error')).toEqual({ t: 'ack', seq: 2 });
    // A dot of the phone's actor the server has not seen yet, sent from the laptop's connection.
    const stolenByLaptop = Cart.fromState(forged.state(), { actor: phone.actor }).add('p-0000017', 1);
    b.send({ t: 'delta', cartId: 'main', seq: 7, delta: b64(encodeCartDelta(stolenByLaptop)) });
    expect(await b.next((f) => f.t === 'error')).toMatchObject({ code: 'FORBIDDEN_DOTS', seq: 7 });
    a.close();
    b.close();
  });

  it('refuses WebSocket upgrades without a valid token and deltas without a device', async () => {
    const bad = new WebSocket(`${server.url.replace('http', 'ws')}/v1/sync?token=nope`);
    const [, res] = (await once(bad, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(res.statusCode).toBe(401);
    bad.on('error', () => {});
    bad.terminate();
    const userOnly = await SyncPeer.open(server.url, await token('erin'));
    userOnly.send({
      t: 'delta',
      cartId: 'main',
      seq: 3,
      delta: b64(encodeCartDelta(Cart.create().add('a', 1))),
    });
    expect(await userOnly.next((f) => f.t === 'error')).toMatchObject({ code: 'DEVICE_REQUIRED', seq: 3 });
    userOnly.close();
  });
});
