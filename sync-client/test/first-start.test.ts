/**
 * Offline-first from the first start (issue 15), against the in-test protocol peer: a brand-new
 * device that cannot reach the server is ready at once and takes changes under the actor it chose
 * itself; it claims that actor on first contact and syncs everything, attributed to it. When
 * another user claimed the id first, the device re-mints its work under a fresh actor: nothing is
 * lost and nothing lands under the other user's actor. Lines the server's catalog refuses are
 * dropped from the replica so the rest can sync.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cartToJSON } from '@cartwheel/crdt';
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
const actorsOf = (user: string) => Object.keys(cartToJSON(peer.cart(user, 'main').state()).context).sort();

beforeAll(async () => {
  peer = await startSyncPeer();
});
afterAll(() => peer.stop());
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  peer.unknownProducts.clear();
});

describe('first start', () => {
  it('a brand-new device with the server unreachable is ready, takes changes, and syncs them under its own actor later', async () => {
    await peer.stop();
    const errors: unknown[] = [];
    const a = track(makeClient(peer.url, { user: 'first', onError: (e) => errors.push(e) }));
    await a.ready; // no network needed
    expect(a.actor).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await a.add('p1', 2, { title: 'Mug', priceMinor: 1200, currency: 'EUR' });
    await a.setQuantity('p1', 3);
    expect(a.status).toBe('offline');
    expect(a.pendingCount).toBe(2);
    await waitFor(() => errors.length > 0, 'a failed registration attempt');
    const registrations = peer.stats.registrations;

    await peer.restart();
    await a.whenSynced(15_000);
    expect(peer.stats.registrations).toBe(registrations + 1);
    expect(linesOf(peer.cart('first', 'main'))).toEqual(['p1×3']);
    expect(peer.cart('first', 'main').get('p1')?.meta).toEqual({
      title: 'Mug',
      priceMinor: 1200,
      currency: 'EUR',
    });
    expect(actorsOf('first')).toEqual([a.actor]);
  });

  it('re-mints its offline work under a fresh actor when another user claimed its actor first; a reload keeps it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-first-'));
    const store = () =>
      new LevelReplicaStore(
        new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' }),
      );
    try {
      const errors: unknown[] = [];
      const a = makeClient(peer.url, { user: 'victim', store: store(), autoConnect: false });
      await a.ready;
      const chosen = a.actor!;
      await a.add('p1', 1, { title: 'Mug' });
      await a.add('p2', 2);
      await a.remove('p1');
      await a.close();
      // Someone else claims the id first (it leaked, or was guessed).
      const res = await fetch(`${peer.url}/v1/devices`, {
        method: 'POST',
        headers: { authorization: 'Bearer user:mallory', 'content-type': 'application/json' },
        body: JSON.stringify({ actor: chosen }),
      });
      expect(res.status).toBe(201);

      const b = track(
        makeClient(peer.url, { user: 'victim', store: store(), onError: (e) => errors.push(e) }),
      );
      await b.ready;
      expect(b.actor).toBe(chosen);
      await b.whenSynced(15_000);
      expect(b.actor).not.toBe(chosen);
      expect(linesOf(b)).toEqual(['p2×2']);
      expect(linesOf(peer.cart('victim', 'main'))).toEqual(['p2×2']);
      expect(actorsOf('victim')).toEqual([b.actor]); // nothing under mallory's actor
      const actor = b.actor;
      await b.close();
      open.splice(open.indexOf(b), 1);

      const c = track(makeClient(peer.url, { user: 'victim', store: store(), autoConnect: false }));
      await c.ready;
      expect(c.actor).toBe(actor);
      expect(linesOf(c)).toEqual(['p2×2']);
      expect(Object.keys(cartToJSON(c.state()).context)).toEqual([actor]);
      await c.add('p3', 1);
      c.connect();
      await c.whenSynced(15_000);
      expect(linesOf(peer.cart('victim', 'main'))).toEqual(['p2×2', 'p3×1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drops a line the server catalog refuses (PRODUCT_NOT_FOUND) and syncs the rest', async () => {
    peer.unknownProducts.add('espresso-demo');
    const errors: Array<{ code?: string }> = [];
    const a = track(
      makeClient(peer.url, { user: 'catalog', onError: (e) => errors.push(e as { code?: string }) }),
    );
    await a.ready;
    a.disconnect();
    await a.add('espresso-demo', 1, { title: 'Espresso beans' });
    await a.add('p1', 1);
    a.connect();
    await waitFor(() => a.get('espresso-demo') === undefined, 'the refused line to go', 15_000);
    await a.whenSynced(15_000);
    expect(linesOf(a)).toEqual(['p1×1']);
    expect(linesOf(peer.cart('catalog', 'main'))).toEqual(['p1×1']);
    expect(errors.map((e) => e.code)).toContain('SYNC_UNKNOWN_PRODUCT');
  });

  it('a synced actor that a node lost and another user took: synced dots stay, unsynced ones move to a fresh actor', async () => {
    const a = track(makeClient(peer.url, { user: 'lost', getUserToken: () => 'user:lost' }));
    await a.add('p1', 1);
    await a.whenSynced();
    const first = a.actor!;
    a.disconnect();
    await a.add('p2', 2); // made under the first actor, never synced
    peer.forgetDevices();
    const res = await fetch(`${peer.url}/v1/devices`, {
      method: 'POST',
      headers: { authorization: 'Bearer user:mallory', 'content-type': 'application/json' },
      body: JSON.stringify({ actor: first }),
    });
    expect(res.status).toBe(201);
    a.connect();
    await a.add('p3', 1);
    await a.whenSynced(15_000);
    expect(a.actor).not.toBe(first);
    expect(linesOf(peer.cart('lost', 'main'))).toEqual(['p1×1', 'p2×2', 'p3×1']);
    expect(actorsOf('lost')).toEqual([first, a.actor].sort());
    // nothing of the device's after the takeover is under the first actor
    const entries = Object.values(cartToJSON(peer.cart('lost', 'main').state()).lines).flat();
    expect(entries.filter((e) => e.actor === first).map((e) => e.counter)).toEqual([1]);
  });
});
