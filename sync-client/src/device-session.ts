/**
 * The device's identity and credentials: which actor it mints dots with, and the token that lets
 * it sync them.
 *
 * Offline-first from the first start: a device that has never reached the server picks its own
 * actor id (a random UUID v4) and stores it before its first change, so it can mint dots at once.
 * On first contact it claims that actor (`POST /v1/devices {actor}`): first claim wins. If another
 * user claimed the id first (`SYNC_ACTOR_CONFLICT`; only possible by a guessed or copied id) the
 * device picks a fresh id and re-mints its unsynced work under it — none of its dots ever reached
 * a server under the old id, so nothing it did is lost or attributed to the other user.
 *
 * Afterwards the session refreshes the token (`getUserToken('refresh')`, then the same claim,
 * which re-issues a token for an actor the user holds) when it is about to expire or the server
 * rejected it, at most every 30 s on rejection.
 */
import { type ActorId, type CausalContext, newActorId } from '@cartwheel/crdt';
import { type FetchLike, registerDevice } from './device.js';
import { jwtExpiresAtMs } from './jwt-expiry.js';
import type { ReplicaMeta, ReplicaStore } from './store/replica-store.js';

/** Why the client asks for the user's token. */
export type TokenReason = 'register' | 'refresh';

export interface DeviceSessionOptions {
  readonly baseUrl: string;
  readonly store: ReplicaStore;
  readonly key: string;
  readonly getUserToken: (reason: TokenReason) => string | Promise<string>;
  readonly fetch: FetchLike;
  readonly now?: () => number;
}

/** What the session needs from the replica when its actor changes. */
export interface ActorHolder {
  /** Re-mints the dots of `from` under `to`: all of them, or those `keep` (the server's context) lacks. */
  reassign(from: ActorId, to: ActorId, keep?: CausalContext): Promise<void>;
  /** Continues as `to` for new changes; earlier dots stay with their (synced) actor. */
  rebind(to: ActorId): void;
}

/** Minimum time between two refreshes caused by server rejections. */
const REFRESH_AFTER_REJECTION_MS = 30_000;
/** A token this close to its expiry is refreshed before use. */
const EXPIRY_MARGIN_MS = 30_000;
const MAX_REPLACED = 8;

export class DeviceSession {
  readonly #o: DeviceSessionOptions;
  #meta: ReplicaMeta;
  #rejected = false;
  #lastRefresh = Number.NEGATIVE_INFINITY;

  private constructor(options: DeviceSessionOptions, meta: ReplicaMeta) {
    this.#o = options;
    this.#meta = meta;
  }

  /**
   * The session of the replica whose stored meta is `stored`; a device without one (its first
   * start) chooses its actor now and stores it — no network needed.
   */
  static async open(options: DeviceSessionOptions, stored: ReplicaMeta | undefined): Promise<DeviceSession> {
    let meta = stored;
    if (meta === undefined) {
      meta = { actor: newActorId() };
      await options.store.putMeta(options.key, meta);
    }
    return new DeviceSession(options, meta);
  }

  get actor(): ActorId {
    return this.#meta.actor;
  }

  /** Actors this device gave up (their dots are re-minted under `actor` on every load). */
  get replaced(): readonly ActorId[] {
    return this.#meta.replaced ?? [];
  }

  /** Whether the server has accepted this device's actor (it holds a token for it). */
  get claimed(): boolean {
    return this.#meta.token !== undefined;
  }

  /** The server refused the current token: the next `token()` refreshes it (rate-limited). */
  rejected(): void {
    this.#rejected = true;
  }

  /**
   * A device token for the sync socket: the stored one, or one obtained now by claiming the
   * actor (first contact) or refreshing. Throws when the server cannot be reached or refuses;
   * the connection then retries with its back-off.
   */
  async token(replica: ActorHolder): Promise<string> {
    const now = (this.#o.now ?? Date.now)();
    const current = this.#meta.token;
    const expiresAt = current === undefined ? 0 : (jwtExpiresAtMs(current) ?? Number.POSITIVE_INFINITY);
    const refreshDue = this.#rejected && now - this.#lastRefresh > REFRESH_AFTER_REJECTION_MS;
    if (current !== undefined && !refreshDue && expiresAt - EXPIRY_MARGIN_MS >= now) return current;
    if (current !== undefined) this.#lastRefresh = now;
    const userToken = await this.#o.getUserToken(current === undefined ? 'register' : 'refresh');
    let creds: { actor: string; token: string };
    try {
      creds = await registerDevice(this.#o.fetch, this.#o.baseUrl, userToken, this.#meta.actor);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SYNC_ACTOR_CONFLICT') throw error;
      await this.#moveTo(newActorId(), replica, current === undefined);
      creds = await registerDevice(this.#o.fetch, this.#o.baseUrl, userToken, this.#meta.actor);
    }
    // A server that ignores the requested actor hands out another one: move to it.
    if (creds.actor !== this.#meta.actor) await this.#moveTo(creds.actor, replica, current === undefined);
    const moving = this.#meta.moving;
    const meta: ReplicaMeta = {
      actor: creds.actor,
      token: creds.token,
      replaced: this.replaced,
      ...(moving === undefined ? {} : { moving }),
    };
    await this.#o.store.putMeta(this.#o.key, meta);
    this.#meta = meta;
    this.#rejected = false;
    return creds.token;
  }

  /**
   * Called with the server's context before each catch-up: dots of an actor this device lost
   * after syncing with it (`moving`) that the server lacks move under the current actor, so the
   * catch-up carries them as this device's; the ones the server has stay where they are.
   */
  async beforeCatchUp(replica: ActorHolder, serverContext: CausalContext): Promise<void> {
    const moving = this.#meta.moving;
    if (moving === undefined) return;
    await replica.reassign(moving, this.#meta.actor, serverContext);
    const { moving: _done, ...rest } = this.#meta;
    this.#meta = rest;
    await this.#o.store.putMeta(this.#o.key, rest);
  }

  /**
   * Continues as `to`. An actor the server never accepted has no synced dots: they are re-minted
   * under `to` (recorded first, so a crash re-mints again on load). An accepted one (a node lost
   * the binding and another user claimed the id) keeps the dots the server has; new changes use
   * `to` at once, and the old actor's dots the server lacks move under `to` at the next welcome
   * (`beforeCatchUp`), when the server's context says which those are.
   */
  async #moveTo(to: ActorId, replica: ActorHolder, unsynced: boolean): Promise<void> {
    const from = this.#meta.actor;
    if (!unsynced) {
      this.#meta = { actor: to, replaced: this.replaced, moving: this.#meta.moving ?? from };
      await this.#o.store.putMeta(this.#o.key, this.#meta);
      replica.rebind(to);
      return;
    }
    const replaced = [...this.replaced.filter((a) => a !== from), from].slice(-MAX_REPLACED);
    this.#meta = { actor: to, replaced };
    await this.#o.store.putMeta(this.#o.key, this.#meta);
    await replica.reassign(from, to);
  }
}
