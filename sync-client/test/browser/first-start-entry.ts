// Bundled into an IIFE (no polyfills, no aliases) for the first-start page of first-start.test.ts:
// a bare app that creates one SyncClient on the page's origin with the IndexedDB store.
import { createBrowserReplicaStore, SyncClient } from '../../src/index.js';

const token = new URLSearchParams(location.search).get('token') ?? '';
const client = new SyncClient({
  cartId: 'main',
  replicaKey: 'first-start/main',
  store: createBrowserReplicaStore('first-start'),
  getUserToken: () => token,
  backoff: { initialMs: 100, maxMs: 1_000 },
});
(globalThis as { client?: SyncClient }).client = client;
