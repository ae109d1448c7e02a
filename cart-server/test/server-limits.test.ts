/**
 * Device deltas at the boundary, on a real process with the default limits (64 KiB bodies, 1 MiB
 * frames, 500 lines per cart). The poisoning sequences — 48 merges of ~23,000 single-dot
 * ranges of the device's own actor, over HTTP and over WebSocket, and 20 frames of 320 KB — are
 * refused at their first request or frame, the cart stays readable, and /healthz stays responsive.
 */
import { Cart, encodeCartDelta, encodeContext } from '@cartwheel/crdt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spacedDotDeltas } from './support/poison.js';
import {
  type Api,
  api,
  createServer,
  removeTempDirs,
  type ServerProcess,
  token,
  waitFor,
} from './support/server-process.js';
import { type Frame, registerDevice, SyncPeer } from './support/sync-peer.js';

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

/** Polls /healthz back to back until stopped; resolves with every latency in ms. */
function probeHealth(url: string): { count: () => number; stop: () => Promise<number[]> } {
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const start = performance.now();
      const res = await fetch(`${url}/healthz`);
      await res.arrayBuffer();
      latencies.push(performance.now() - start);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    count: () => latencies.length,
    stop: async () => {
      running = false;
      await loop;
      return latencies;
    },
  };
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

  it('refuses the sequence over WebSocket with error frames and keeps /healthz fast under 320 KB frames', async () => {
    const { actor, token: deviceToken, call } = await deviceWithOneLine('poisoner-ws', 'main');
    const peer = await SyncPeer.open(server.url, deviceToken);
    peer.send({ t: 'hello', cartId: 'main', context: b64(encodeContext(Cart.create().context())) });
    await peer.next((f) => f.t === 'welcome');
    const frame = (seq: number, delta: Uint8Array) =>
      JSON.stringify({ t: 'delta', cartId: 'main', seq, delta: b64(delta) });
    const poison = spacedDotDeltas(actor, 48, 23_000, 3).map((d, i) => frame(i + 1, encodeCartDelta(d)));
    const large = spacedDotDeltas(actor, 20, 115_000, 3 + 2 * 48 * 23_000).map((d, i) =>
      frame(100 + i, encodeCartDelta(d)),
    );
    expect(large.every((f) => f.length > 300_000 && f.length < 1024 * 1024)).toBe(true);

    // The first frame alone: refused by the delta bounds, with its seq.
    peer.send(poison[0]);
    expect(await peer.next((f) => f.t === 'error' || f.t === 'ack')).toMatchObject({
      t: 'error',
      code: 'DELTA_TOO_LARGE',
      seq: 1,
    });
    // How fast /healthz answers on this machine right now (a loaded CI box is slower everywhere).
    const baseline = probeHealth(server.url);
    await waitFor(() => baseline.count() >= 20, 'baseline /healthz probes');
    const quiet = (await baseline.stop()).sort((a, b) => a - b);
    const quietP50 = quiet[Math.floor(quiet.length / 2)] ?? 1;
    // Then the rest as fast as the socket takes them, and the 320 KB frames, while /healthz is polled.
    const health = probeHealth(server.url);
    await waitFor(() => health.count() >= 1, 'the first /healthz probe');
    for (const f of [...poison.slice(1), ...large]) peer.send(f);
    const answers: Frame[] = [];
    for (let i = 0; i < poison.length - 1 + large.length; i++) {
      answers.push(await peer.next((f) => f.t === 'error' || f.t === 'ack', 30_000));
    }
    const latencies = await health.stop();
    // Refused by the delta bounds (with the frame's seq) or, past the connection's byte budget,
    // unread (RATE_LIMITED); never acknowledged.
    expect(answers.filter((a) => a.t === 'ack')).toEqual([]);
    expect(new Set(answers.map((a) => a.code))).toEqual(new Set(['DELTA_TOO_LARGE', 'RATE_LIMITED']));
    const max = Math.max(...latencies);
    console.log(
      `/healthz during the WebSocket sequence: ${latencies.length} probes, max ${max.toFixed(1)} ms, answers ${JSON.stringify(
        Object.fromEntries(
          [...new Set(answers.map((a) => a.code))].map((c) => [
            c,
            answers.filter((a) => a.code === c).length,
          ]),
        ),
      )}`,
    );
    // The issue measured 4 s; a quiet machine stays under 100 ms. The bound scales with how slow
    // this machine answers without the flood, so a loaded box does not fail it for being loaded.
    expect(max).toBeLessThan(Math.max(1000, 50 * quietP50));
    peer.close();
    await expectUsable(call, 'main');
  });
});
