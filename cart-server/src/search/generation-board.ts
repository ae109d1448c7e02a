/**
 * How the nodes serving search agree on a promotion (the standby cluster of the source design,
 * warmed before the switch). The pointer (generation-pointer.ts) says what is live; the board
 * says what is *ready*: each node announces, with a heartbeat, the generations it holds built
 * and warmed, and a rebuild posts the standby every node should build. A promotion waits until
 * every live node announced the target, then moves the pointer with one compare-and-set; a
 * notification tells the nodes to re-read the pointer and switch.
 *
 * Notifications only hurry things along: every node also re-reads the pointer and the standby
 * on each heartbeat, so a lost message delays a switch by one heartbeat and never breaks it.
 * Implementations: `LocalGenerationBoard` (one node) and `RedisGenerationBoard` (a cluster); both
 * run cart-server/test/search/generation-board.conformance.ts.
 */
import type { Redis } from 'ioredis';
import { subscribeChannel } from '../storage/redis-subscription.js';
import { PointerUnavailableError } from './errors.js';

export interface BoardMember {
  readonly node: string;
  /** Generation ids the node holds built and warmed. */
  readonly held: readonly string[];
  /** When the node last announced, in the board's clock (ms). */
  readonly seenAt: number;
}

/** `pointer`: the pointer moved; `standby`: a rebuild posted a standby; `held`: a node announced. */
export type BoardEvent = 'pointer' | 'standby' | 'held';

export interface GenerationBoard {
  readonly kind: string;
  /** Records what `node` holds (and that it is alive). */
  announce(node: string, held: readonly string[]): Promise<void>;
  /** The nodes that announced within the liveness window. */
  members(): Promise<BoardMember[]>;
  /** Removes a node at once (a clean stop), instead of when its announcements stop. */
  leave(node: string): Promise<void>;
  /** The standby generation posted by the last rebuild, until it is promoted or replaced. */
  standby(): Promise<string | null>;
  postStandby(id: string): Promise<void>;
  /** Clears the standby if it is still `id`. */
  clearStandby(id: string): Promise<void>;
  notify(event: BoardEvent): Promise<void>;
  /** Calls `listener` on other processes' notifications (and after a reconnect, with 'pointer'). */
  watch(listener: (event: BoardEvent) => void): () => void;
  close(): Promise<void>;
}

/** One process: everything in memory, nobody else to tell. */
export class LocalGenerationBoard implements GenerationBoard {
  readonly kind = 'local';
  readonly #members = new Map<string, BoardMember>();
  #standby: string | null = null;

  async announce(node: string, held: readonly string[]): Promise<void> {
    this.#members.set(node, { node, held: [...held], seenAt: Date.now() });
  }
  async members(): Promise<BoardMember[]> {
    return [...this.#members.values()];
  }
  async leave(node: string): Promise<void> {
    this.#members.delete(node);
  }
  async standby(): Promise<string | null> {
    return this.#standby;
  }
  async postStandby(id: string): Promise<void> {
    this.#standby = id;
  }
  async clearStandby(id: string): Promise<void> {
    if (this.#standby === id) this.#standby = null;
  }
  async notify(_event: BoardEvent): Promise<void> {}
  watch(_listener: (event: BoardEvent) => void): () => void {
    return () => undefined;
  }
  async close(): Promise<void> {}
}

// Announcements are stamped with Redis's clock, and liveness is judged by it: the nodes' own
// clocks may disagree.
const ANNOUNCE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], now .. '|' .. ARGV[2])
return now
`;

const MEMBERS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local all = redis.call('HGETALL', KEYS[1])
table.insert(all, 1, now)
return all
`;

const CLEAR_STANDBY = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

export interface RedisGenerationBoardOptions {
  readonly redis: Redis;
  /** A connection in subscriber mode (shared) for `watch`. */
  readonly subscriber?: Redis;
  /** Keys `<prefix>:members`, `<prefix>:standby`; channel `<prefix>` (default cw:catalog:search). */
  readonly prefix?: string;
  /** A node that has not announced for this long is not a member (default 10 s). */
  readonly livenessMs?: number;
}

export class RedisGenerationBoard implements GenerationBoard {
  readonly kind = 'redis';
  readonly #redis: Redis;
  readonly #subscriber: Redis | undefined;
  readonly #prefix: string;
  readonly #livenessMs: number;

  constructor(options: RedisGenerationBoardOptions) {
    this.#redis = options.redis;
    this.#subscriber = options.subscriber;
    this.#prefix = options.prefix ?? 'cw:catalog:search';
    this.#livenessMs = options.livenessMs ?? 10_000;
  }

  async #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new PointerUnavailableError(`cannot ${what}: ${(err as Error).message}`, { cause: err });
    }
  }

  async announce(node: string, held: readonly string[]): Promise<void> {
    await this.#call('announce the generations held', () =>
      this.#redis.eval(ANNOUNCE, 1, `${this.#prefix}:members`, node, held.join(',')),
    );
  }

  async members(): Promise<BoardMember[]> {
    const reply = (await this.#call('read the search members', () =>
      this.#redis.eval(MEMBERS, 1, `${this.#prefix}:members`),
    )) as Array<number | string>;
    const now = Number(reply[0]);
    const out: BoardMember[] = [];
    for (let i = 1; i + 1 < reply.length; i += 2) {
      const value = String(reply[i + 1]);
      const bar = value.indexOf('|');
      const seenAt = Number(value.slice(0, bar));
      const held = value.slice(bar + 1);
      if (now - seenAt <= this.#livenessMs)
        out.push({ node: String(reply[i]), held: held === '' ? [] : held.split(','), seenAt });
    }
    return out.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  }

  async leave(node: string): Promise<void> {
    await this.#call('leave the search members', () => this.#redis.hdel(`${this.#prefix}:members`, node));
  }

  async standby(): Promise<string | null> {
    return this.#call('read the standby generation', () => this.#redis.get(`${this.#prefix}:standby`));
  }

  async postStandby(id: string): Promise<void> {
    await this.#call('post the standby generation', () => this.#redis.set(`${this.#prefix}:standby`, id));
  }

  async clearStandby(id: string): Promise<void> {
    await this.#call('clear the standby generation', () =>
      this.#redis.eval(CLEAR_STANDBY, 1, `${this.#prefix}:standby`, id),
    );
  }

  async notify(event: BoardEvent): Promise<void> {
    await this.#call('notify the search members', () => this.#redis.publish(this.#prefix, event));
  }

  watch(listener: (event: BoardEvent) => void): () => void {
    if (this.#subscriber === undefined) return () => undefined;
    return subscribeChannel(this.#subscriber, this.#prefix, (message) => {
      if (message === 'standby' || message === 'held') listener(message);
      else listener('pointer'); // a pointer move, or a reconnect: re-read everything
    });
  }

  async close(): Promise<void> {}
}
