/**
 * Offline-first from the first start against a real cart-server process (issue 15): a brand-new
 * device whose server is down is ready, takes changes, keeps them across a reload (a new client on
 * the same disk store), and once the server is up claims its actor and syncs: the server holds
 * the lines, every dot of them this device's actor, and lists the device under the user.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeContext } from '@cartwheel/crdt';
import { ClassicLevel } from 'classic-level';
import { afterAll, describe, expect, it } from 'vitest';
import { LevelReplicaStore } from '../src/index.js';
import { type CartServerProcess, startCartServer } from './support/cart-server-process.js';
import { linesOf, makeClient } from './support/helpers.js';

let server: CartServerProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'cw-first-e2e-'));

afterAll(async () => {
  await server?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const store = () =>
  new LevelReplicaStore(
    new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' }),
  );

describe('first start with the server down (real cart server)', () => {
  it('add, reload, then connect: the server has the lines, attributed to this device', async () => {
    server = await startCartServer({ deferStart: true }); // nothing listens yet
    const user = 'first-start';
    const options = {
      user,
      getUserToken: () => server!.userToken(user),
      backoff: { initialMs: 50, maxMs: 500 },
    };
    const first = makeClient(server.url, { ...options, store: store() });
    await first.ready;
    const actor = first.actor;
    await first.add('p-0000001', 2, { title: 'first product', priceMinor: 1999, currency: 'EUR' });
    await first.add('p-0000002', 1);
    expect(first.status).toBe('offline');
    await first.close();

    const reloaded = makeClient(server.url, { ...options, store: store() });
    try {
      await reloaded.ready;
      expect(reloaded.actor).toBe(actor);
      expect(linesOf(reloaded)).toEqual(['p-0000001×2', 'p-0000002×1']);
      expect(reloaded.pendingCount).toBe(2);

      await server.start();
      await reloaded.whenSynced(60_000);
      expect(reloaded.actor).toBe(actor);
      expect(await server.cartLines(user, 'main')).toEqual(['p-0000001×2', 'p-0000002×1']);
      const headers = { authorization: `Bearer ${server.userToken(user)}` };
      const cart = (await (await fetch(`${server.url}/v1/carts/main`, { headers })).json()) as {
        context: string;
        lines: Array<{ productId: string; meta?: unknown }>;
      };
      // every dot in the server's cart is this device's
      const context = decodeContext(new Uint8Array(Buffer.from(cart.context, 'base64')));
      expect([...context.versionVector().keys()]).toEqual([actor]);
      expect(cart.lines[0]?.meta).toEqual({ title: 'first product', priceMinor: 1999, currency: 'EUR' });
      const devices = (await (await fetch(`${server.url}/v1/devices`, { headers })).json()) as {
        devices: Array<{ actor: string }>;
      };
      expect(devices.devices.map((d) => d.actor)).toEqual([actor]);
    } finally {
      await reloaded.close();
    }
  }, 120_000);
});
