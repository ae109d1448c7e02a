/**
 * Device deltas at the boundary, on a real process with the default limits (64 KiB bodies, 1 MiB
 * frames, 500 lines per cart). The poisoning sequence — 48 merges of ~23,000 single-dot
 * ranges of the device's own actor — is refused at its first request, and the cart stays readable.
 */
import { Cart, encodeCartDelta } from '@cartwheel/crdt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spacedDotDeltas } from './support/poison.js';
import {
  type Api,
  api,
  createServer,
  removeTempDirs,
  type ServerProcess,
  token,
} from './support/server-process.js';
import { registerDevice } from './support/sync-peer.js';

let server: ServerProcess;

beforeAll(async () => {
  server = await createServer({ args: ['--platform', 'off'] });
  await server.start();
});

afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  removeTempDirs();
});

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

interface CartBody {
  lines: { productId: string; quantity: number }[];
}

async function deviceWithOneLine(
  user: string,
  cartId: string,
): Promise<{ token: string; actor: string; call: Api }> {
  const device = await registerDevice(server.url, await token(user));
  const call = api(server.url, device.token);
  const add = Cart.create({ actor: device.actor }).add('sku-1', 2);
  expect((await call('POST', `/v1/carts/${cartId}/merge`, { delta: b64(encodeCartDelta(add)) })).status).toBe(
    200,
  );
  return { ...device, call };
}

/** The cart is readable and can be cleared: the operations the poisoned cart answered 503 to. */
async function expectUsable(call: Api, cartId: string): Promise<void> {
  const read = await call('GET', `/v1/carts/${cartId}`);
  expect(read.status).toBe(200);
  expect((read.json as CartBody).lines).toEqual([{ productId: 'sku-1', quantity: 2 }]);
  expect((await call('DELETE', `/v1/carts/${cartId}`)).status).toBe(200);
  expect((await call('POST', `/v1/carts/${cartId}/items`, { productId: 'after', quantity: 1 })).status).toBe(
    200,
  );
}

describe('device deltas at the boundary (one real process, default limits)', () => {
  it('refuses every HTTP merge of the poisoning sequence with 413 DELTA_TOO_LARGE; the cart stays usable', async () => {
    const { actor, call } = await deviceWithOneLine('poisoner-http', 'main');
    const bodies = spacedDotDeltas(actor, 48, 23_000, 3).map((d) =>
      JSON.stringify({ delta: b64(encodeCartDelta(d)) }),
    );
    expect(Math.max(...bodies.map((b) => b.length))).toBeLessThan(64 * 1024);
    for (const body of bodies) {
      const res = await call('POST', '/v1/carts/main/merge', body);
      expect(res).toMatchObject({ status: 413, json: { error: { code: 'DELTA_TOO_LARGE' } } });
    }
    await expectUsable(call, 'main');
  });

  it('refuses a device that spreads the gaps over small merges once its changes form 64 runs', async () => {
    const { actor, call } = await deviceWithOneLine('poisoner-small', 'main');
    // Under the delta bounds, but the cart would record 2,001 runs of this device's changes.
    const [wide] = spacedDotDeltas(actor, 1, 2_000, 3).map((d) => ({ delta: b64(encodeCartDelta(d)) }));
    const refused = await call('POST', '/v1/carts/main/merge', wide);
    expect(refused).toMatchObject({ status: 400, json: { error: { code: 'CART_TOO_LARGE' } } });
    // 1 run (the add) + 30 + 30 fit; the third merge would make 91 runs.
    const small = spacedDotDeltas(actor, 3, 30, 3).map((d) => ({ delta: b64(encodeCartDelta(d)) }));
    expect((await call('POST', '/v1/carts/main/merge', small[0])).status).toBe(200);
    expect((await call('POST', '/v1/carts/main/merge', small[1])).status).toBe(200);
    expect(await call('POST', '/v1/carts/main/merge', small[2])).toMatchObject({
      status: 400,
      json: { error: { code: 'CART_TOO_LARGE' } },
    });
    await expectUsable(call, 'main');
  });
});
