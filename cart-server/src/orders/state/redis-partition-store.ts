/**
 * Processor state on Redis, shared by every node of a cluster: any node that takes a partition's
 * lease resumes it from its last checkpoint. All keys of partition p share the hash tag `{p}` of
 * the partition's stream, so a checkpoint is one Lua script in one slot (Redis Cluster works):
 *   <prefix>:{p}:stock    hash productId → level
 *   <prefix>:{p}:sagas    hash orderId → Saga JSON (orders waiting for reservations)
 *   <prefix>:{p}:orders   hash orderId → OrderView JSON (confirmed / rejected)
 *   <prefix>:{p}:outbox   hash messageKey → OutboxMessage JSON
 *   <prefix>:{p}:offset   next log offset of the partition
 *   <prefix>:{p}:lease    "<owner>:<token>" of the processor holding the partition (PartitionLeases)
 * The checkpoint script first checks the lease: a processor whose lease expired or was taken
 * over (paused, partitioned, slow) is fenced off and writes nothing.
 */
import type { Redis } from 'ioredis';
import { OrderLogError } from '../errors.js';
import type { OrderView, OutboxMessage, Saga } from '../events.js';
import type { PartitionCommit, PartitionState } from '../processor/partition-task.js';
import { partitionKey } from '../redis-keys.js';
import type { Fence, PartitionStore } from './partition-store.js';

export const leaseValue = (fence: Fence): string => `${fence.owner}:${fence.token}`;

// KEYS: lease, offset, stock, sagas, orders, outbox
// ARGV: leaseValue, offset, then for stock, sagas-put, sagas-del, orders, outbox: a count and its items
const COMMIT_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
if current > tonumber(ARGV[2]) then return -2 end
local i = 3
local function pairs_into(key)
  local n = tonumber(ARGV[i]); i = i + 1
  for _ = 1, n do redis.call('HSET', key, ARGV[i], ARGV[i + 1]); i = i + 2 end
end
pairs_into(KEYS[3])
pairs_into(KEYS[4])
local n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do redis.call('HDEL', KEYS[4], ARGV[i]); i = i + 1 end
pairs_into(KEYS[5])
pairs_into(KEYS[6])
redis.call('SET', KEYS[2], ARGV[2])
return 0
`;

interface StateCommands {
  cwStateCommit(...keysAndArgs: string[]): Promise<number>;
}

export class RedisPartitionStore implements PartitionStore {
  readonly kind = 'redis';
  readonly #redis: Redis & StateCommands;
  readonly #prefix: string;
  readonly #partitions: number;

  /** Uses (does not own) `redis`; `prefix` is the order log's. */
  constructor(redis: Redis, options: { prefix: string; partitions: number }) {
    redis.defineCommand('cwStateCommit', { lua: COMMIT_SCRIPT, numberOfKeys: 6 });
    this.#redis = redis as Redis & StateCommands;
    this.#prefix = options.prefix;
    this.#partitions = options.partitions;
  }

  #key(p: number, suffix: string): string {
    return partitionKey(this.#prefix, p, suffix);
  }

  async load(p: number): Promise<PartitionState> {
    const [stock, sagas, offset] = await Promise.all([
      this.#redis.hgetall(this.#key(p, 'stock')),
      this.#redis.hgetall(this.#key(p, 'sagas')),
      this.#redis.get(this.#key(p, 'offset')),
    ]);
    return {
      offset: offset === null ? 0 : Number(offset),
      stock: new Map(Object.entries(stock).map(([id, v]) => [id, Number(v)])),
      sagas: new Map(Object.entries(sagas).map(([id, v]) => [id, JSON.parse(v) as Saga])),
    };
  }

  async commit(p: number, fence: Fence, c: PartitionCommit): Promise<void> {
    const args: string[] = [leaseValue(fence), String(c.offset)];
    const put = (entries: Iterable<[string, string]>): void => {
      const list = [...entries];
      args.push(String(list.length));
      for (const [k, v] of list) args.push(k, v);
    };
    put([...c.stock].map(([id, level]) => [id, String(level)]));
    const sagas = [...c.sagas];
    put(sagas.flatMap(([id, s]) => (s === null ? [] : [[id, JSON.stringify(s)] as [string, string]])));
    const removed = sagas.flatMap(([id, s]) => (s === null ? [id] : []));
    args.push(String(removed.length), ...removed);
    put([...c.orders].map(([id, view]) => [id, JSON.stringify(view)]));
    put(c.outbox.map((m) => [m.key, JSON.stringify(m)]));
    const result = await this.#redis.cwStateCommit(
      this.#key(p, 'lease'),
      this.#key(p, 'offset'),
      this.#key(p, 'stock'),
      this.#key(p, 'sagas'),
      this.#key(p, 'orders'),
      this.#key(p, 'outbox'),
      ...args,
    );
    if (result === -1) {
      throw new OrderLogError(
        'FENCED',
        `partition ${p}: the lease of ${fence.owner} (token ${fence.token}) is gone`,
      );
    }
    if (result === -2) throw new OrderLogError('FENCED', `partition ${p}: a newer checkpoint exists`);
  }

  async order(p: number, orderId: string): Promise<OrderView | undefined> {
    const v = await this.#redis.hget(this.#key(p, 'orders'), orderId);
    return v === null ? undefined : (JSON.parse(v) as OrderView);
  }

  async stock(p: number, productId: string): Promise<number | undefined> {
    const v = await this.#redis.hget(this.#key(p, 'stock'), productId);
    return v === null ? undefined : Number(v);
  }

  async offsets(): Promise<number[]> {
    const pipeline = this.#redis.pipeline();
    for (let p = 0; p < this.#partitions; p++) pipeline.get(this.#key(p, 'offset'));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([, v]) => (v === null || v === undefined ? 0 : Number(v)));
  }

  async outbox(p: number, limit: number): Promise<OutboxMessage[]> {
    const values: OutboxMessage[] = [];
    let cursor = '0';
    do {
      const [next, flat] = await this.#redis.hscan(
        this.#key(p, 'outbox'),
        cursor,
        'COUNT',
        Math.max(10, limit),
      );
      for (let i = 1; i < flat.length && values.length < limit; i += 2)
        values.push(JSON.parse(flat[i]!) as OutboxMessage);
      cursor = next;
    } while (cursor !== '0' && values.length < limit);
    return values;
  }

  outboxSize(p: number): Promise<number> {
    return this.#redis.hlen(this.#key(p, 'outbox'));
  }

  async ackOutbox(p: number, keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.#redis.hdel(this.#key(p, 'outbox'), ...keys);
  }

  async close(): Promise<void> {
    // the connection belongs to the caller
  }
}
