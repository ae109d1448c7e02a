/**
 * The cluster's one ranking in Redis: `{cw:pop}:ranking` (the snapshot as JSON) next to
 * `{cw:pop}:ranking-fence` (its fence), the lease `{cw:pop}:rank-lease` (`SET NX PX`, value
 * `holder|fence`) and the fence counter `{cw:pop}:fence` (INCR). Granting and writing are Lua
 * scripts, so "is it free → take it with the next fence" and "is my fence newer → store and
 * announce" are each one atomic step. A stored ranking is announced on the `<prefix>:ranking`
 * channel; the other nodes re-read it (ranking-store.ts explains the fence).
 */
import type { Redis } from 'ioredis';
import { subscribeChannel } from '../storage/redis-subscription.js';
import { PopularityUnavailableError } from './errors.js';
import type { RankingSnapshot } from './ranking.js';
import type { RankingLease, RankingStore } from './ranking-store.js';

const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. fence, 'PX', ARGV[2])
return fence
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

const WRITE = `
local stored = tonumber(redis.call('GET', KEYS[2]) or '0')
if stored >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[3], ARGV[1])
return 1
`;

export interface RedisRankingStoreOptions {
  readonly redis: Redis;
  /** A connection in subscriber mode (shared) for `watch`; without it `watch` never calls back. */
  readonly subscriber?: Redis;
  /** Key prefix; the keys are `{<prefix>}:…` (default cw:pop). */
  readonly prefix?: string;
}

export class RedisRankingStore implements RankingStore {
  readonly kind = 'redis';
  readonly #redis: Redis;
  readonly #subscriber: Redis | undefined;
  readonly #tag: string;
  readonly #channel: string;

  constructor(options: RedisRankingStoreOptions) {
    this.#redis = options.redis;
    this.#subscriber = options.subscriber;
    const prefix = options.prefix ?? 'cw:pop';
    this.#tag = `{${prefix}}`;
    this.#channel = `${prefix}:ranking`;
  }

  async #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new PopularityUnavailableError(`cannot ${what}: ${(err as Error).message}`, { cause: err });
    }
  }

  async read(): Promise<RankingSnapshot | null> {
    const raw = await this.#call('read the ranking', () => this.#redis.get(`${this.#tag}:ranking`));
    return raw === null ? null : (JSON.parse(raw) as RankingSnapshot);
  }

  async acquire(holder: string, ttlMs: number): Promise<RankingLease | null> {
    const fence = await this.#call('take the ranking lease', () =>
      this.#redis.eval(ACQUIRE, 2, `${this.#tag}:rank-lease`, `${this.#tag}:fence`, holder, ttlMs),
    );
    return fence === null ? null : { holder, fence: Number(fence) };
  }

  async release(lease: RankingLease): Promise<void> {
    await this.#call('release the ranking lease', () =>
      this.#redis.eval(RELEASE, 1, `${this.#tag}:rank-lease`, `${lease.holder}|${lease.fence}`),
    );
  }

  async write(snapshot: RankingSnapshot): Promise<boolean> {
    const fence = snapshot.fence ?? 0;
    const out = await this.#call('store the ranking', () =>
      this.#redis.eval(
        WRITE,
        2,
        `${this.#tag}:ranking`,
        `${this.#tag}:ranking-fence`,
        fence,
        JSON.stringify(snapshot),
        this.#channel,
      ),
    );
    return Number(out) === 1;
  }

  watch(listener: () => void): () => void {
    if (this.#subscriber === undefined) return () => undefined;
    return subscribeChannel(this.#subscriber, this.#channel, () => listener());
  }

  async close(): Promise<void> {}
}
