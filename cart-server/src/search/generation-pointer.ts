/**
 * The single pointer that says which search generation is live (the role ZooKeeper plays in
 * the source design). Promotion and rollback are one compare-and-set on it, so every node and
 * every reader sees either the old or the new generation, never a mix. Beside it, each
 * generation's *manifest* — what it was built from — so any node, at any time (a restart, a
 * node that missed the rebuild), builds the generation a pointer names exactly as its first
 * builder did. Implementations: `LevelGenerationPointer` (one node, embedded) and
 * `RedisGenerationPointer` (shared by a cluster); both run
 * cart-server/test/search/generation-pointer.conformance.ts.
 */
import type { Redis } from 'ioredis';
import type { RankingSnapshot } from '../popularity/ranking.js';
import type { LevelLike } from '../storage/level-types.js';
import { PointerUnavailableError } from './errors.js';

/**
 * What a generation is built from besides the catalog: the ranking that decides its bands and
 * popularity scores. Two nodes building one manifest over the same catalog answer every query
 * with the same page.
 */
export interface GenerationManifest {
  readonly id: string;
  readonly createdAt: number;
  readonly ranking: RankingSnapshot;
}

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
  /**
   * Stores a manifest unless one with its id exists (the first one wins: nodes that raced to
   * describe a generation all build the one stored). Returns the stored manifest.
   */
  saveManifest(manifest: GenerationManifest): Promise<GenerationManifest>;
  loadManifest(id: string): Promise<GenerationManifest | undefined>;
  /** Deletes every manifest whose id is not in `keep` (after a promotion). */
  pruneManifests(keep: ReadonlySet<string>): Promise<void>;
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
  readonly #manifests: LevelLike;
  #lock: Promise<unknown> = Promise.resolve();

  constructor(db: LevelLike) {
    this.#db = db.sublevel('search-pointer', { valueEncoding: 'utf8' });
    this.#manifests = db.sublevel('search-manifests', { valueEncoding: 'utf8' });
  }

  saveManifest(manifest: GenerationManifest): Promise<GenerationManifest> {
    const run = this.#lock.then(async () => {
      const stored = await this.loadManifest(manifest.id);
      if (stored !== undefined) return stored;
      await this.#manifests.put(manifest.id, JSON.stringify(manifest));
      return manifest;
    });
    this.#lock = run.catch(() => undefined);
    return run;
  }

  async loadManifest(id: string): Promise<GenerationManifest | undefined> {
    const raw = await this.#manifests.get(id);
    return raw === undefined ? undefined : (JSON.parse(raw) as GenerationManifest);
  }

  async pruneManifests(keep: ReadonlySet<string>): Promise<void> {
    const dels: Array<{ type: 'del'; key: string }> = [];
    for await (const id of this.#manifests.keys({})) if (!keep.has(id)) dels.push({ type: 'del', key: id });
    if (dels.length > 0) await this.#manifests.batch(dels);
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
  /** A hash: generation id → manifest JSON. */
  readonly #manifests: string;

  constructor(redis: Redis, key = 'cw:catalog:search-generation') {
    this.#redis = redis;
    this.#key = key;
    this.#manifests = `${key}:manifests`;
  }

  async #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new PointerUnavailableError(`cannot ${what}: ${(err as Error).message}`, { cause: err });
    }
  }

  async saveManifest(manifest: GenerationManifest): Promise<GenerationManifest> {
    await this.#call('store a generation manifest', () =>
      this.#redis.hsetnx(this.#manifests, manifest.id, JSON.stringify(manifest)),
    );
    return (await this.loadManifest(manifest.id)) ?? manifest;
  }

  async loadManifest(id: string): Promise<GenerationManifest | undefined> {
    const raw = await this.#call('read a generation manifest', () => this.#redis.hget(this.#manifests, id));
    return raw === null ? undefined : (JSON.parse(raw) as GenerationManifest);
  }

  async pruneManifests(keep: ReadonlySet<string>): Promise<void> {
    const ids = await this.#call('list generation manifests', () => this.#redis.hkeys(this.#manifests));
    const drop = ids.filter((id) => !keep.has(id));
    if (drop.length > 0)
      await this.#call('prune generation manifests', () => this.#redis.hdel(this.#manifests, ...drop));
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
