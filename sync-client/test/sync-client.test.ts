import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCart } from '@cartwheel/crdt';
import { ClassicLevel } from 'classic-level';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LevelReplicaStore, type SyncClient } from '../src/index.js';
import { linesOf, makeClient, waitFor } from './support/helpers.js';
import { type SyncPeer, startSyncPeer } from './support/sync-peer.js';

let peer: SyncPeer;
const open: SyncClient[] = [];
const track = (c: SyncClient): SyncClient => {
  open.push(c);
  return c;
};

beforeAll(async () => {
  peer = await startSyncPeer();
});
afterAll(() => peer.stop());
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  peer.holdAcks = false;
  peer.ackDelayMs = 0;
});

describe('SyncClient against the in-test protocol peer', () => {
  it('registers its own actor per device and delivers a change to the other device', async () => {
    const a = track(makeClient(peer.url, { user: 'deliver' }));
    const b = track(makeClient(peer.url, { user: 'deliver' }));
    await Promise.all([a.ready, b.ready]);
    expect(a.actor).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.actor).not.toBe(b.actor);
    await a.add('p1', 2, { priceMinor: 1299, currency: 'EUR' });
    await waitFor(() => b.get('p1')?.quantity === 2, 'B to see the add');
    expect(b.get('p1')?.meta).toEqual({ priceMinor: 1299, currency: 'EUR' });
    await a.whenSynced();
    expect(linesOf(peer.cart('deliver', 'main'))).toEqual(['p1×2']);
  });

  it('keeps offline changes pending and converges with add-wins when back online', async () => {
    const a = track(makeClient(peer.url, { user: 'offline' }));
    const b = track(makeClient(peer.url, { user: 'offline' }));
    await a.add('keep', 1);
    await a.add('contested', 3);
    await waitFor(() => b.get('contested')?.quantity === 3, 'B to have the cart');
    await a.whenSynced();

    a.disconnect();
    await waitFor(() => a.status === 'offline', 'A offline');
    await a.add('new-offline', 2);
    await a.add('contested', 1); // concurrent with B's remove below
    expect(a.pendingCount).toBe(2);
    await b.remove('contested');
    await b.setQuantity('keep', 5);
    await b.whenSynced();
    expect(linesOf(b)).toEqual(['keep×5']);

    a.connect();
    await waitFor(() => a.pendingCount === 0 && a.status === 'online', 'A synced');
    await waitFor(() => linesOf(a).join() === linesOf(b).join(), 'A and B to converge');
    // B removed the 3 it had observed; A's concurrent add of 1 survives (add-wins).
    expect(linesOf(a)).toEqual(['contested×1', 'keep×5', 'new-offline×2']);
  });

  it('sends only what the server lacks after reconnecting (context exchange)', async () => {
    const a = track(makeClient(peer.url, { user: 'catchup' }));
    await a.ready;
    for (let i = 0; i < 300; i++) void a.add(`sku-${String(i).padStart(4, '0')}`, 1 + (i % 5));
    await waitFor(() => a.lines().length === 300, 'local adds');
    await a.whenSynced(20_000);
    a.disconnect();
    await a.add('sku-0007', 1);
    const before = peer.stats.deltaFrameBytes;
    a.connect();
    await a.whenSynced();
    const sent = peer.stats.deltaFrameBytes - before;
    const full = Math.ceil((encodeCart(peer.cart('catchup', 'main').state()).length * 4) / 3);
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(full * 0.1);
    expect(peer.cart('catchup', 'main').get('sku-0007')?.quantity).toBe(4); // 3 + 1
  });

  it('keeps the cart, the actor and pending changes across a restart from a disk store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-client-'));
    const store = () =>
      new LevelReplicaStore(
        new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' }),
      );
    try {
      const first = makeClient(peer.url, { user: 'disk', store: store() });
      await first.ready;
      const actor = first.actor;
      first.disconnect();
      await first.add('a', 1);
      await first.add('b', 2);
      await first.remove('a');
      await first.close();
      const registrations = peer.stats.registrations;

      const second = track(makeClient(peer.url, { user: 'disk', store: store(), autoConnect: false }));
      await second.ready;
      expect(second.actor).toBe(actor);
      expect(linesOf(second)).toEqual(['b×2']);
      expect(second.pendingCount).toBe(3);
      second.connect();
      await second.whenSynced();
      expect(peer.stats.registrations).toBe(registrations);
      expect(linesOf(peer.cart('disk', 'main'))).toEqual(['b×2']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('survives a server restart that loses the server state mid-sync', async () => {
    const a = track(makeClient(peer.url, { user: 'restart' }));
    const b = track(makeClient(peer.url, { user: 'restart' }));
    await Promise.all([a.ready, b.ready]);
    await a.add('x', 1);
    await a.whenSynced();
    peer.holdAcks = true;
    const frames = peer.stats.deltaFrames;
    await a.add('y', 2);
    await waitFor(() => peer.stats.deltaFrames > frames, 'the delta to reach the server');
    expect(a.pendingCount).toBe(1);
    await peer.restart({ forgetState: true });
    peer.holdAcks = false;
    await waitFor(() => a.pendingCount === 0 && a.status === 'online', 'A to resync', 15_000);
    await waitFor(() => b.status === 'online', 'B to reconnect', 15_000);
    await waitFor(
      () => linesOf(peer.cart('restart', 'main')).join() === 'x×1,y×2',
      'server to recover the cart',
      15_000,
    );
    await b.add('z', 1);
    await waitFor(() => a.get('z') !== undefined, 'pushes to flow again');
  });

  it('refreshes revoked credentials through the token hook and keeps its actor', async () => {
    const reasons: string[] = [];
    const a = track(
      makeClient(peer.url, {
        user: 'refresh',
        getUserToken: (reason) => {
          reasons.push(reason);
          return 'user:refresh';
        },
      }),
    );
    await a.ready;
    await a.whenSynced();
    const actor = a.actor;
    peer.revokeTokens();
    peer.dropConnections();
    await a.add('after-revoke', 1);
    await waitFor(
      () => a.pendingCount === 0 && a.status === 'online',
      'A to sync with fresh credentials',
      15_000,
    );
    expect(reasons).toEqual(['register', 'refresh']);
    expect(a.actor).toBe(actor);
    expect(peer.cart('refresh', 'main').get('after-revoke')?.quantity).toBe(1);
  });

  it('reports status and pending count to subscribers', async () => {
    peer.holdAcks = true;
    const a = track(makeClient(peer.url, { user: 'status' }));
    const seen: string[] = [];
    a.subscribe((s) => seen.push(`${s.status}/${s.pending}`));
    await a.ready;
    await waitFor(() => a.status === 'online', 'online');
    await a.add('p', 1);
    await waitFor(() => a.status === 'syncing' && a.pendingCount === 1, 'syncing with one pending');
    peer.holdAcks = false;
    peer.dropConnections();
    await waitFor(() => a.status === 'online' && a.pendingCount === 0, 'acknowledged after reconnect');
    expect(seen).toContain('syncing/1');
    expect(seen.at(-1)).toBe('online/0');
  });

  it('A offline sets P2 to 3 while B removes P2: after the merge P2 ×3 keeps its title and price everywhere', async () => {
    const meta = { title: 'Phone case', priceMinor: 1299, currency: 'EUR' };
    const a = track(makeClient(peer.url, { user: 'meta' }));
    const b = track(makeClient(peer.url, { user: 'meta' }));
    await a.add('p1', 1, { title: 'Phone', priceMinor: 49_900, currency: 'EUR' });
    await a.add('p2', 1, meta);
    await waitFor(() => b.get('p2')?.quantity === 1, 'B to have P2');
    await a.whenSynced();
    a.disconnect();
    await a.setQuantity('p2', 3);
    await b.remove('p2');
    await b.whenSynced();
    a.connect();
    await a.whenSynced();
    await waitFor(() => b.get('p2')?.quantity === 3, 'B to get the surviving set');
    for (const lines of [a.lines(), b.lines(), peer.cart('meta', 'main').lines()]) {
      expect(lines.find((l) => l.productId === 'p2')).toEqual({ productId: 'p2', quantity: 3, meta });
      const total = lines.reduce((sum, l) => sum + l.quantity * Number(l.meta?.priceMinor ?? Number.NaN), 0);
      expect(total).toBe(49_900 + 3 * 1299);
    }
  });

  it('rejects invalid operations without storing them', async () => {
    const a = track(makeClient(peer.url, { user: 'invalid', autoConnect: false }));
    await a.ready;
    await expect(a.add('', 1)).rejects.toThrow(TypeError);
    await expect(a.add('p', 1.5)).rejects.toThrow(TypeError);
    await expect(a.add('p', 0)).rejects.toMatchObject({ code: expect.any(String) });
    expect(a.pendingCount).toBe(0);
    expect(a.lines()).toEqual([]);
  });
});
