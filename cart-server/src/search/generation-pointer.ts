/**
 * The single pointer that says which search generation is live (the role ZooKeeper plays in
 * the source design). Promotion and rollback are one compare-and-set on it, so every node and
 * every reader sees either the old or the new generation, never a mix. Implementations:
 * `LevelGenerationPointer` (one node, embedded) and `RedisGenerationPointer` (shared by a
 * cluster); both run cart-server/test/search/generation-pointer.conformance.ts.
 */
import type { Redis } from 'ioredis';
import type { LevelLike } from '../storage/level-types.js';
import { PointerUnavailableError } from './errors.js';

export interface PointerValue {
  readonly active: string;
  readonly previous: string | null;
  /** Incremented by every successful write; the CAS token. */
  readonly version: number;
}

export interface GenerationPointer {
  readonly kind: string;
  read(): Promise<PointerValue | null>;
  /**
   * Writes `next` (with version expectedVersion + 1) only if the stored version is still
   * `expectedVersion` (0 = no pointer yet). Returns the stored value when it succeeded, null
   * when someone else moved the pointer first.
   */
  compareAndSet(
    expectedVersion: number,
    next: { active: string; previous: string | null },
  ): Promise<PointerValue | null>;
  close(): Promise<void>;
}

function parse(raw: string | null | undefined): PointerValue | null {
  if (raw === null || raw === undefined) return null;
  const v = JSON.parse(raw) as PointerValue;
  return { active: v.active, previous: v.previous ?? null, version: v.version };
}

export class LevelGenerationPointer implements GenerationPointer {
  readonly kind = 'level';
  readonly #db: LevelLike;
  #lock: Promise<unknown> = Promise.resolve();

  constructor(db: LevelLike) {
    this.#db = db.sublevel('search-pointer', { valueEncoding: 'utf8' });
  }

  async read(): Promise<PointerValue | null> {
    return parse(await this.#db.get('pointer'));
  }

  compareAndSet(
    expectedVersion: number,
    next: { active: string; previous: string | null },
  ): Promise<PointerValue | null> {
    // One process owns a LevelDB database, so an in-process lock makes read-compare-write atomic.
    const run = this.#lock.then(async () => {
      const current = await this.read();
      if ((current?.version ?? 0) !== expectedVersion) return null;
      const value: PointerValue = {
        active: next.active,
        previous: next.previous,
        version: expectedVersion + 1,
      };
      await this.#db.put('pointer', JSON.stringify(value));
      return value;
    });
    this.#lock = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {}
}

// Atomic CAS in Redis: compare the stored version and write in one script.
const CAS_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
local version = 0
if cur then version = tonumber(cjson.decode(cur)['version']) end
if version ~= tonumber(ARGV[1]) then return nil end
redis.call('SET', KEYS[1], ARGV[2])
return ARGV[2]
`;

export class RedisGenerationPointer implements GenerationPointer {
  readonly kind = 'redis';
  readonly #redis: Redis;
  readonly #key: string;

  constructor(redis: Redis, key = 'cw:catalog:search-generation') {
    this.#redis = redis;
    this.#key = key;
  }

  async read(): Promise<PointerValue | null> {
    try {
      return parse(await this.#redis.get(this.#key));
    } catch (err) {
      throw new PointerUnavailableError(`cannot read the generation pointer: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  async compareAndSet(
    expectedVersion: number,
    next: { active: string; previous: string | null },
  ): Promise<PointerValue | null> {
    const value: PointerValue = {
      active: next.active,
      previous: next.previous,
      version: expectedVersion + 1,
    };
    try {
      const out = await this.#redis.eval(
        CAS_SCRIPT,
        1,
        this.#key,
        String(expectedVersion),
        JSON.stringify(value),
      );
      return out === null ? null : value;
    } catch (err) {
      throw new PointerUnavailableError(`cannot move the generation pointer: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  async close(): Promise<void> {}
}
