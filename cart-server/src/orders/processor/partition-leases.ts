/**
 * Partition ownership across a cluster, on Redis — the role ZooKeeper (or Kafka's group
 * coordinator) plays in the source design. Every node heartbeats into a member set; each
 * partition's preferred owner among the live members is chosen by rendezvous hashing, so all
 * nodes agree without talking to each other and a membership change moves only the partitions it
 * must. A node takes a partition by creating its lease (`SET NX PX`) with a fencing token from a
 * per-partition counter, renews it every tick, and hands it back (after its last checkpoint) when
 * another live node is preferred. A dead node's leases expire after `leaseMs`, and the next
 * preferred node takes over: within `leaseMs + tickMs` of the death.
 *
 * The token is what makes this safe: every checkpoint is written by a script that first checks
 * the lease still holds the writer's token (RedisPartitionStore), so a processor that was paused
 * past its lease (GC, SIGSTOP, a partition) cannot write after it resumes.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { partitionKey } from '../redis-keys.js';
import type { Fence } from '../state/partition-store.js';
import { leaseValue } from '../state/redis-partition-store.js';
import type { PartitionOwnership } from './ownership.js';

export interface PartitionLeasesOptions {
  readonly redis: Redis;
  readonly prefix: string;
  readonly partitions: number;
  /** This node's name; an incarnation id is appended, so a restarted node waits for its old leases. */
  readonly node: string;
  /** Lease time to live (default 3000 ms). */
  readonly leaseMs?: number;
  /** Heartbeat / renew / rebalance period (default 500 ms). */
  readonly tickMs?: number;
  readonly onError?: (err: unknown) => void;
  /** Called when this node takes or gives up a partition (logs, metrics). */
  readonly onChange?: (event: {
    partition: number;
    change: 'acquired' | 'released' | 'lost';
    token: number;
  }) => void;
}

// KEYS: members ; ARGV: owner, ttlMs → live members (server time, so node clocks do not matter)
const HEARTBEAT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
`;

// KEYS: lease, fence ; ARGV: owner, ttlMs → token, or 0 when the lease is held
const ACQUIRE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
return token
`;

// KEYS: lease ; ARGV: value, ttlMs → 1 renewed, 0 lost
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]); return 1 end
return 0
`;

// KEYS: lease ; ARGV: value
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

interface LeaseCommands {
  cwHeartbeat(key: string, owner: string, ttl: string): Promise<string[]>;
  cwAcquire(lease: string, fence: string, owner: string, ttl: string): Promise<number>;
  cwRenew(lease: string, value: string, ttl: string): Promise<number>;
  cwRelease(lease: string, value: string): Promise<number>;
}

/** Rendezvous (highest random weight) hashing: the live member preferred for `partition`. */
export function preferredOwner(partition: number, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = -1;
  for (const m of members) {
    let h = 0x811c9dc5;
    const key = `${m}#${partition}`;
    for (let i = 0; i < key.length; i++) {
      h ^= key.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    const weight = h >>> 0;
    if (weight > bestWeight || (weight === bestWeight && best !== undefined && m < best)) {
      best = m;
      bestWeight = weight;
    }
  }
  return best;
}

export class PartitionLeases implements PartitionOwnership {
  /** `<node>/<incarnation>`: the name on the leases and in the member set. */
  readonly owner: string;
  readonly #o: PartitionLeasesOptions;
  readonly #redis: Redis & LeaseCommands;
  readonly #leaseMs: number;
  readonly #tickMs: number;
  readonly #held = new Map<number, Fence>();
  #beforeRelease: (p: number) => Promise<void> = async () => undefined;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #stopped = true;
  #members: readonly string[] = [];

  constructor(options: PartitionLeasesOptions) {
    this.#o = options;
    this.owner = `${options.node}/${randomUUID().slice(0, 8)}`;
    this.#leaseMs = options.leaseMs ?? 3000;
    this.#tickMs = options.tickMs ?? 500;
    const redis = options.redis;
    redis.defineCommand('cwHeartbeat', { lua: HEARTBEAT_SCRIPT, numberOfKeys: 1 });
    redis.defineCommand('cwAcquire', { lua: ACQUIRE_SCRIPT, numberOfKeys: 2 });
    redis.defineCommand('cwRenew', { lua: RENEW_SCRIPT, numberOfKeys: 1 });
    redis.defineCommand('cwRelease', { lua: RELEASE_SCRIPT, numberOfKeys: 1 });
    this.#redis = redis as Redis & LeaseCommands;
  }

  owned(): ReadonlyMap<number, Fence> {
    return this.#held;
  }

  /** Live members as of the last heartbeat. */
  members(): readonly string[] {
    return this.#members;
  }

  lost(partition: number, fence: Fence): void {
    if (this.#held.get(partition)?.token !== fence.token) return;
    this.#held.delete(partition);
    this.#o.onChange?.({ partition, change: 'lost', token: fence.token });
  }

  setBeforeRelease(hook: (partition: number) => Promise<void>): void {
    this.#beforeRelease = hook;
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await this.tick();
    this.#schedule();
  }

  /** Gives every partition back (after the processor stopped) so others take over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#ticking;
    const held = [...this.#held];
    this.#held.clear();
    await Promise.all(
      held.map(([p, fence]) => this.#redis.cwRelease(this.#lease(p), leaseValue(fence)).catch(() => 0)),
    );
    await this.#redis.zrem(this.#membersKey(), this.owner).catch(() => 0);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#ticking = this.tick().finally(() => this.#schedule());
    }, this.#tickMs);
  }

  #lease(p: number): string {
    return partitionKey(this.#o.prefix, p, 'lease');
  }

  #membersKey(): string {
    return `${this.#o.prefix}:members`;
  }

  /** One round: heartbeat, renew what is held, hand back what is not ours, take what is. */
  async tick(): Promise<void> {
    try {
      const ttl = String(this.#leaseMs);
      this.#members = await this.#redis.cwHeartbeat(this.#membersKey(), this.owner, ttl);
      const held = [...this.#held];
      const renewed = await Promise.all(
        held.map(([p, fence]) => this.#redis.cwRenew(this.#lease(p), leaseValue(fence), ttl)),
      );
      held.forEach(([p, fence], i) => {
        if (renewed[i] !== 1) this.lost(p, fence);
      });
      for (let p = 0; p < this.#o.partitions; p++) {
        if (this.#stopped) return;
        const preferred = preferredOwner(p, this.#members);
        const fence = this.#held.get(p);
        if (fence !== undefined && preferred !== this.owner && preferred !== undefined) {
          await this.#handBack(p, fence);
        } else if (fence === undefined && preferred === this.owner) {
          const token = await this.#redis.cwAcquire(
            this.#lease(p),
            partitionKey(this.#o.prefix, p, 'fence'),
            this.owner,
            ttl,
          );
          if (token > 0) {
            this.#held.set(p, { owner: this.owner, token });
            this.#o.onChange?.({ partition: p, change: 'acquired', token });
          }
        }
      }
    } catch (err) {
      this.#o.onError?.(err);
    }
  }

  async #handBack(p: number, fence: Fence): Promise<void> {
    this.#held.delete(p);
    await this.#beforeRelease(p);
    await this.#redis.cwRelease(this.#lease(p), leaseValue(fence));
    this.#o.onChange?.({ partition: p, change: 'released', token: fence.token });
  }
}
