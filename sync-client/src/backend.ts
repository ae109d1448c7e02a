/**
 * What the SyncClient facade runs on: exactly one backend at a time. The leader backend owns the
 * local replica, the device session and the connection; a follower backend (another tab of the
 * same browser) mirrors the leader's state and forwards operations to it.
 */
import type { Cart, CartOp } from '@cartwheel/crdt';
import type { SyncStatus, TabMessage } from './tab-coordinator.js';

export type ClientRole = 'starting' | 'leader' | 'follower';

export interface ClientBackend {
  readonly role: 'leader' | 'follower';
  /** The cart as this tab sees it; undefined while a follower has no state yet. */
  cart(): Cart | undefined;
  readonly status: SyncStatus;
  readonly pendingCount: number;
  readonly actor: string | undefined;
  /** Applies `op`; resolves once it is durable (in the leader's store). */
  apply(op: CartOp): Promise<void>;
  onTabMessage(message: TabMessage): void;
  /** After listeners were told of a change (the leader broadcasts its state to the followers). */
  published(): void;
  connect(): void;
  disconnect(): void;
  close(): Promise<void>;
}
