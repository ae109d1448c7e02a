/**
 * The client against a real cart-server process (SPEC §3 sync endpoint, device registration,
 * LevelDB storage), including a crash and restart of the server while a device is syncing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncClient } from '../src/index.js';
import { type CartServerProcess, startCartServer } from './support/cart-server-process.js';
import { linesOf, makeClient, nodeSocket, waitFor } from './support/helpers.js';

let server: CartServerProcess;
const clients: SyncClient[] = [];

beforeAll(async () => {
  // Carts only: these cases use made-up product ids, which a server with a catalog refuses.
  server = await startCartServer({ args: ['--platform', 'off'] });
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.dispose();
});

const device = (user: string, onSend?: (frame: string) => void): SyncClient => {
  const c = makeClient(server.url, {
    user,
    cartId: 'main',
    getUserToken: () => server.userToken(user),
    backoff: { initialMs: 50, maxMs: 1_000 },
    createSocket: (url) => {
      const socket = nodeSocket(url);
      const send = socket.send.bind(socket);
      socket.send = (frame: string) => {
        send(frame);
        onSend?.(frame);
      };
      return socket;
    },
  });
  clients.push(c);
  return c;
};

describe('SyncClient against a real cart server', () => {
  it('registers, syncs deltas both ways and converges with add-wins after an offline period', async () => {
    const a = device('e2e-alice');
    const b = device('e2e-alice');
    await Promise.all([a.ready, b.ready]);
    expect(a.actor).not.toBe(b.actor);
    await a.add('mug', 2, { priceMinor: 1200, currency: 'EUR' });
    await a.add('tea', 1);
    await waitFor(() => linesOf(b).join() === 'mug×2,tea×1', 'B to receive the push', 20_000);
    await a.whenSynced(20_000);

    a.disconnect();
    await a.add('mug', 1); // concurrent with B's remove
    await a.add('kettle', 1);
    await b.remove('mug');
    await b.whenSynced(20_000);
    a.connect();
    await waitFor(
      () => a.pendingCount === 0 && a.status === 'online' && linesOf(a).join() === linesOf(b).join(),
      'A and B to converge',
      20_000,
    );
    expect(linesOf(a)).toEqual(['kettle×1', 'mug×1', 'tea×1']);
    expect(await server.cartLines('e2e-alice', 'main')).toEqual(['kettle×1', 'mug×1', 'tea×1']);
  }, 60_000);

  it('loses nothing when the server is killed and restarted during sync', async () => {
    let killOnDelta = false;
    let killed: Promise<void> | undefined;
    const a = device('e2e-bob', (frame) => {
      // SIGKILL the server the moment the burst's delta frame has left the client.
      if (killOnDelta && frame.startsWith('{"t":"delta"')) {
        killOnDelta = false;
        killed = server.kill();
      }
    });
    const b = device('e2e-bob');
    await Promise.all([a.ready, b.ready]);
    await a.whenSynced(20_000);
    // A burst of changes, the server dies while they are in flight, more changes while it is down.
    killOnDelta = true;
    const burst: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) burst.push(a.add(`item-${String(i).padStart(2, '0')}`, 1));
    await Promise.all(burst);
    await waitFor(() => killed !== undefined, 'the burst to be sent', 20_000);
    await killed;
    await waitFor(() => a.status === 'offline', 'A to notice the crash', 20_000);
    await a.add('while-down', 3);
    await b.add('from-b-while-down', 1);
    expect(a.pendingCount).toBeGreaterThan(0);

    await server.start();
    const expected = [
      'from-b-while-down×1',
      ...Array.from({ length: 40 }, (_, i) => `item-${String(i).padStart(2, '0')}×1`),
      'while-down×3',
    ];
    await waitFor(
      () =>
        a.pendingCount === 0 &&
        b.pendingCount === 0 &&
        linesOf(a).join() === expected.join() &&
        linesOf(b).join() === expected.join(),
      'both devices to resync after the restart',
      45_000,
    );
    expect(await server.cartLines('e2e-bob', 'main')).toEqual(expected);
  }, 120_000);
});
