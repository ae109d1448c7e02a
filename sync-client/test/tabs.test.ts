import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryReplicaStore, type SyncClient } from '../src/index.js';
import { linesOf, makeClient, waitFor } from './support/helpers.js';
import { memoryTabs } from './support/memory-tabs.js';
import { type SyncPeer, startSyncPeer } from './support/sync-peer.js';

let peer: SyncPeer;
const open: SyncClient[] = [];
beforeAll(async () => {
  peer = await startSyncPeer();
});
afterAll(() => peer.stop());
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

describe('several tabs share one replica', () => {
  it('has exactly one leader; followers forward changes and mirror the state', async () => {
    const tabs = memoryTabs();
    const store = createMemoryReplicaStore(); // one IndexedDB shared by the tabs of a browser
    const t1 = makeClient(peer.url, { user: 'tabs', store, tabs: tabs() });
    const t2 = makeClient(peer.url, { user: 'tabs', store, tabs: tabs() });
    const t3 = makeClient(peer.url, { user: 'tabs', store, tabs: tabs() });
    open.push(t1, t2, t3);
    await Promise.all([t1.ready, t2.ready, t3.ready]);
    expect([t1.role, t2.role, t3.role].sort()).toEqual(['follower', 'follower', 'leader']);
    await t2.add('from-follower', 2);
    await t3.add('from-other-follower', 1);
    await t1.whenSynced();
    await waitFor(() => linesOf(t2).length === 2 && linesOf(t3).length === 2, 'mirrors');
    for (const t of [t1, t2, t3]) expect(linesOf(t)).toEqual(['from-follower×2', 'from-other-follower×1']);
    expect(new Set([t1.actor, t2.actor, t3.actor]).size).toBe(1);
    expect(peer.stats.registrations).toBe(1);
    expect(linesOf(peer.cart('tabs', 'main'))).toEqual(['from-follower×2', 'from-other-follower×1']);
  });

  it('hands leadership to the next tab, which reloads the replica and reconnects', async () => {
    const tabs = memoryTabs();
    const store = createMemoryReplicaStore();
    const t1 = makeClient(peer.url, { user: 'handover', store, tabs: tabs() });
    await t1.ready;
    const t2 = makeClient(peer.url, { user: 'handover', store, tabs: tabs() });
    open.push(t2);
    await t2.ready;
    expect(t1.role).toBe('leader');
    expect(t2.role).toBe('follower');
    t1.disconnect();
    await t2.add('queued-offline', 1);
    await waitFor(() => t2.pendingCount === 1, 'follower to see the pending change');
    const actor = t1.actor;
    await t1.close();
    await waitFor(() => t2.role === 'leader', 'follower to take over');
    expect(t2.actor).toBe(actor);
    await t2.whenSynced();
    expect(linesOf(peer.cart('handover', 'main'))).toEqual(['queued-offline×1']);
  });
});
