import { WebSocket } from 'ws';
import type { ReplicaStore, SocketLike, SyncClientOptions } from '../../src/index.js';
import { createMemoryReplicaStore, SyncClient } from '../../src/index.js';

/** Node 20 has no global WebSocket; `ws` implements the same handler properties. */
export const nodeSocket = (url: string): SocketLike => new WebSocket(url) as unknown as SocketLike;

export function makeClient(
  url: string,
  options: Partial<SyncClientOptions> & { user?: string; store?: ReplicaStore } = {},
): SyncClient {
  const { user = 'u1', ...rest } = options;
  return new SyncClient({
    url,
    cartId: 'main',
    store: options.store ?? createMemoryReplicaStore(),
    getUserToken: () => `user:${user}`,
    createSocket: nodeSocket,
    tabs: 'off',
    backoff: { initialMs: 20, maxMs: 300 },
    ...rest,
  });
}

/** Polls `cond` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const linesOf = (c: { lines(): ReadonlyArray<{ productId: string; quantity: number }> }) =>
  c.lines().map((l) => `${l.productId}×${l.quantity}`);
