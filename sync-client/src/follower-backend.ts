/**
 * A follower tab: mirrors the state the leader tab broadcasts and forwards its operations to it.
 * An operation forwarded to a leader that went away before confirming fails with
 * SYNC_NOT_LEADER: it may or may not have been stored, and an add is not idempotent.
 */
import { Cart, type CartOp, decodeCart } from '@cartwheel/crdt';
import type { ClientBackend } from './backend.js';
import { SyncClientError } from './errors.js';
import type { SyncStatus, TabCoordinator, TabMessage } from './tab-coordinator.js';

export interface FollowerOptions {
  readonly tabs: TabCoordinator;
  readonly tabId: string;
  /** The first state arrived (the client is ready) or a later one did (repaint). */
  readonly onState: () => void;
  readonly onError: (error: unknown) => void;
}

export class FollowerBackend implements ClientBackend {
  readonly role = 'follower' as const;
  readonly #o: FollowerOptions;
  #mirror: Cart | undefined;
  #status: SyncStatus = 'offline';
  #pending = 0;
  #actor: string | undefined;
  #leaderTab: string | undefined;
  #opId = 0;
  readonly #waiting = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>();

  constructor(options: FollowerOptions) {
    this.#o = options;
  }

  cart(): Cart | undefined {
    return this.#mirror;
  }

  get status(): SyncStatus {
    return this.#status;
  }

  get pendingCount(): number {
    return this.#pending;
  }

  get actor(): string | undefined {
    return this.#actor;
  }

  apply(op: CartOp): Promise<void> {
    const id = ++this.#opId;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#o.tabs.post({ k: 'op', from: this.#o.tabId, id, op });
    });
  }

  onTabMessage(m: TabMessage): void {
    if (m.k === 'state') {
      try {
        this.#mirror = Cart.fromState(decodeCart(m.state));
      } catch (error) {
        this.#o.onError(error);
        return;
      }
      this.#status = m.status;
      this.#pending = m.pending;
      this.#actor = m.actor;
      if (this.#leaderTab !== undefined && this.#leaderTab !== m.leader) this.failForwarded();
      this.#leaderTab = m.leader;
      this.#o.onState();
    } else if (m.k === 'done' && m.to === this.#o.tabId) {
      const w = this.#waiting.get(m.id);
      this.#waiting.delete(m.id);
      if (m.error === undefined) w?.resolve();
      else w?.reject(new SyncClientError('SYNC_DELTA_REJECTED', `${m.error.code}: ${m.error.message}`));
    }
  }

  /** Fails every forwarded operation still waiting (the leader changed or this tab leads now). */
  failForwarded(
    error = new SyncClientError('SYNC_NOT_LEADER', 'the leader tab went away; check the cart and retry'),
  ): void {
    for (const w of this.#waiting.values()) w.reject(error);
    this.#waiting.clear();
  }

  published(): void {}

  // The leader tab owns the connection; a follower's connect/disconnect has nothing to drive.
  connect(): void {}

  disconnect(): void {}

  async close(): Promise<void> {
    this.failForwarded(new SyncClientError('SYNC_CLIENT_CLOSED', 'client is closed'));
  }
}
