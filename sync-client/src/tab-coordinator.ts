/**
 * Several tabs of one browser share one replica: the tab holding a Web Lock named after the
 * replica is the leader — it alone opens the store, owns the device actor and the socket —
 * and every other tab is a follower that forwards its operations to the leader over a
 * BroadcastChannel and mirrors the state the leader broadcasts. When the leader tab goes away
 * the browser hands the lock to the next tab, which loads the replica from IndexedDB. Two
 * writers with the same actor would mint the same dots for different changes; the lock makes
 * that impossible, which a heartbeat-based election cannot promise.
 */
import type { CartOp } from '@cartwheel/crdt';

export type SyncStatus = 'online' | 'offline' | 'syncing';

export type TabMessage =
  | { readonly k: 'hello'; readonly from: string }
  | {
      readonly k: 'state';
      /** The leader tab's id: a change of leader fails the operations sent to the old one. */
      readonly leader: string;
      readonly state: Uint8Array;
      readonly status: SyncStatus;
      readonly pending: number;
      readonly actor: string;
    }
  | { readonly k: 'op'; readonly from: string; readonly id: number; readonly op: CartOp }
  | {
      readonly k: 'done';
      readonly to: string;
      readonly id: number;
      readonly error?: { readonly code: string; readonly message: string };
    };

export interface TabCoordinator {
  /** Calls `onLeader` once this tab holds the leadership (possibly never). */
  campaign(onLeader: () => void): void;
  post(message: TabMessage): void;
  onMessage(handler: (message: TabMessage) => void): void;
  close(): void;
}

interface LockManagerLike {
  request(
    name: string,
    options: { mode: 'exclusive'; signal?: AbortSignal },
    cb: () => Promise<void>,
  ): Promise<void>;
}

function isTabMessage(value: unknown): value is TabMessage {
  if (typeof value !== 'object' || value === null) return false;
  const k = (value as { k?: unknown }).k;
  return k === 'hello' || k === 'state' || k === 'op' || k === 'done';
}

/** BroadcastChannel + Web Locks, or undefined where the runtime lacks either (Node 20). */
export function createBrowserTabCoordinator(name: string): TabCoordinator | undefined {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  if (locks === undefined || typeof BroadcastChannel === 'undefined') return undefined;
  const channel = new BroadcastChannel(`cartwheel:${name}`);
  const abort = new AbortController();
  let release: (() => void) | undefined;
  return {
    campaign(onLeader) {
      locks
        .request(`cartwheel:${name}`, { mode: 'exclusive', signal: abort.signal }, () => {
          onLeader();
          // Hold the lock for the life of the tab (or until close()).
          return new Promise<void>((resolve) => {
            release = resolve;
          });
        })
        .catch(() => {}); // aborted by close()
    },
    post(message) {
      channel.postMessage(message);
    },
    onMessage(handler) {
      channel.onmessage = (event: MessageEvent) => {
        if (isTabMessage(event.data)) handler(event.data);
      };
    },
    close() {
      abort.abort();
      release?.();
      channel.close();
    },
  };
}
