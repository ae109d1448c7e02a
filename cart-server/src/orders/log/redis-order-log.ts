/**
 * Order log on Redis Streams (ioredis), for deployments that outgrow one machine. One stream per
 * partition; every key of a partition shares a hash tag so the Lua append stays in one slot on
 * Redis Cluster:
 *   <prefix>:{<p>}:stream        the records; entry id `0-<offset+1>` makes offsets dense
 *   <prefix>:{<p>}:seq           the next offset (INCR)
 *   <prefix>:{<p>}:dedupe:<id>   "<p>:<offset>" of the record appended with that dedupe id
 *   <prefix>:{<p>}:committed     hash group → committed next offset (lag metrics)
 * Consumers use a consumer group per stream (XREADGROUP / XACK). The processor owns its offsets
 * (they live in its checkpoint), so a consumer that is asked for an earlier offset than the group
 * has delivered seeks the group back with XGROUP SETID — Kafka's "seek to the checkpointed offset"
 * — and the replayed entries are delivered again.
 */
import { Redis } from 'ioredis';
import { OrderLogError } from '../errors.js';
import {
  type AppendRequest,
  type AppendResult,
  type ConsumerOptions,
  checkAppendRequest,
  checkOffset,
  checkPartition,
  checkPartitionCount,
  type LogConsumer,
  type LogPosition,
  type LogRecord,
  MAX_LOG_VALUE_BYTES,
  type OrderLog,
  type PollOptions,
  partitionForKey,
  resolveConsumerPartitions,
} from './order-log.js';

export interface RedisOrderLogOptions {
  readonly url: string;
  readonly partitions: number;
  /** Key prefix (default "cw:orders"). */
  readonly prefix?: string;
}

// KEYS: stream, seq, dedupe ; ARGV: key, value, dedupeId ('' = none), partition
const APPEND_SCRIPT = `
if ARGV[3] ~= '' then
  local found = redis.call('GET', KEYS[3])
  if found then return {1, found} end
end
local offset = redis.call('INCR', KEYS[2]) - 1
redis.call('XADD', KEYS[1], '0-' .. (offset + 1), 'k', ARGV[1], 'v', ARGV[2], 'd', ARGV[3])
local pos = ARGV[4] .. ':' .. offset
if ARGV[3] ~= '' then redis.call('SET', KEYS[3], pos) end
return {0, pos}
`;

type StreamEntry = [id: string, fields: string[]];
type StreamReply = [stream: string, entries: StreamEntry[]][];

const offsetOfId = (id: string): number => Number(id.slice(id.indexOf('-') + 1)) - 1;
const idOfOffset = (offset: number): string => `0-${offset + 1}`;

function parsePosition(text: string): LogPosition {
  const [p, o] = text.split(':');
  return { partition: Number(p), offset: Number(o) };
}

function toRecord(partition: number, [id, fields]: StreamEntry): LogRecord {
  const get = (name: string): string => {
    const i = fields.indexOf(name);
    return i >= 0 && i % 2 === 0 ? (fields[i + 1] ?? '') : '';
  };
  const d = get('d');
  const base = { partition, offset: offsetOfId(id), key: get('k'), value: get('v') };
  return d === '' ? base : { ...base, dedupeId: d };
}

export class RedisOrderLog implements OrderLog {
  readonly kind = 'redis';
  readonly partitions: number;
  readonly #redis: Redis;
  readonly #url: string;
  readonly #prefix: string;
  #closed = false;

  private constructor(redis: Redis, url: string, partitions: number, prefix: string) {
    this.#redis = redis;
    this.#url = url;
    this.partitions = partitions;
    this.#prefix = prefix;
  }

  static async open(options: RedisOrderLogOptions): Promise<RedisOrderLog> {
    checkPartitionCount(options.partitions);
    const redis = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    try {
      await redis.connect();
    } catch (err) {
      redis.disconnect();
      throw new OrderLogError('ORDER_LOG_UNAVAILABLE', 'cannot connect to Redis for the order log', {
        cause: err,
      });
    }
    return new RedisOrderLog(redis, options.url, options.partitions, options.prefix ?? 'cw:orders');
  }

  /** Key of partition `p` (hash-tagged so all keys of a partition share a cluster slot). */
  key(p: number, suffix: string): string {
    return `${this.#prefix}:{${p}}:${suffix}`;
  }

  partitionFor(key: string): number {
    return partitionForKey(key, this.partitions);
  }

  async append(request: AppendRequest): Promise<AppendResult> {
    checkAppendRequest(request);
    if (this.#closed) throw new OrderLogError('ORDER_LOG_CLOSED', 'order log is closed');
    if (Buffer.byteLength(request.value) > MAX_LOG_VALUE_BYTES) {
      throw new OrderLogError('LOG_RECORD_TOO_LARGE', `record exceeds ${MAX_LOG_VALUE_BYTES} bytes`);
    }
    const p = this.partitionFor(request.key);
    const id = request.dedupeId ?? '';
    try {
      const reply = (await this.#redis.eval(
        APPEND_SCRIPT,
        3,
        this.key(p, 'stream'),
        this.key(p, 'seq'),
        this.key(p, `dedupe:${id}`),
        request.key,
        request.value,
        id,
        String(p),
      )) as [number, string];
      return { ...parsePosition(reply[1]), duplicate: reply[0] === 1 };
    } catch (err) {
      throw new OrderLogError('ORDER_LOG_UNAVAILABLE', 'order log append failed', { cause: err });
    }
  }

  async find(key: string, dedupeId: string): Promise<LogPosition | undefined> {
    const found = await this.#redis.get(this.key(this.partitionFor(key), `dedupe:${dedupeId}`));
    return found === null ? undefined : parsePosition(found);
  }

  async read(partition: number, offset: number, limit: number): Promise<LogRecord[]> {
    checkPartition(partition, this.partitions);
    checkOffset(offset);
    if (!Number.isInteger(limit) || limit < 1) throw new TypeError('limit must be a positive integer');
    const entries = (await this.#redis.xrange(
      this.key(partition, 'stream'),
      idOfOffset(offset),
      '+',
      'COUNT',
      limit,
    )) as StreamEntry[];
    return entries.map((e) => toRecord(partition, e));
  }

  async endOffsets(): Promise<number[]> {
    const pipeline = this.#redis.pipeline();
    for (let p = 0; p < this.partitions; p++) pipeline.get(this.key(p, 'seq'));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([err, v]) => {
      if (err) throw new OrderLogError('ORDER_LOG_UNAVAILABLE', 'cannot read end offsets', { cause: err });
      return v === null ? 0 : Number(v);
    });
  }

  async committedOffsets(group: string): Promise<number[]> {
    const pipeline = this.#redis.pipeline();
    for (let p = 0; p < this.partitions; p++) pipeline.hget(this.key(p, 'committed'), group);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([, v]) => (v === null || v === undefined ? 0 : Number(v)));
  }

  async openConsumer(options: ConsumerOptions): Promise<LogConsumer> {
    const partitions = resolveConsumerPartitions(options, this.partitions);
    for (const p of partitions) {
      try {
        await this.#redis.xgroup('CREATE', this.key(p, 'stream'), options.group, '0', 'MKSTREAM');
      } catch (err) {
        if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw err;
      }
    }
    // A blocking XREADGROUP needs its own connection.
    const reader = new Redis(this.#url, { maxRetriesPerRequest: 2 });
    return new RedisLogConsumer(this, this.#redis, reader, options.group, options.consumer, partitions);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#redis.quit().catch(() => undefined);
  }
}

class RedisLogConsumer implements LogConsumer {
  readonly partitions: readonly number[];
  readonly #log: RedisOrderLog;
  readonly #redis: Redis;
  readonly #reader: Redis;
  readonly #group: string;
  readonly #name: string;
  /** Next offset the group will deliver to us per partition (undefined until first poll). */
  readonly #delivered = new Map<number, number>();
  /** Offsets delivered but not yet acknowledged per partition. */
  readonly #unacked = new Map<number, number[]>();
  #closed = false;

  constructor(
    log: RedisOrderLog,
    redis: Redis,
    reader: Redis,
    group: string,
    name: string,
    partitions: number[],
  ) {
    this.#log = log;
    this.#redis = redis;
    this.#reader = reader;
    this.#group = group;
    this.#name = name;
    this.partitions = partitions;
  }

  async poll(from: ReadonlyMap<number, number>, options: PollOptions): Promise<LogRecord[]> {
    if (this.#closed) return [];
    for (const p of this.partitions) {
      const want = from.get(p) ?? 0;
      if (this.#delivered.get(p) !== want) {
        // Seek: the group's last-delivered id becomes the record before `want`.
        await this.#redis.xgroup('SETID', this.#log.key(p, 'stream'), this.#group, `0-${want}`);
        this.#delivered.set(p, want);
      }
    }
    const streams = this.partitions.map((p) => this.#log.key(p, 'stream'));
    const count = Math.max(1, Math.floor(options.maxRecords / this.partitions.length));
    let reply: StreamReply | null;
    try {
      reply = (await this.#reader.xreadgroup(
        'GROUP',
        this.#group,
        this.#name,
        'COUNT',
        count,
        'BLOCK',
        Math.max(1, options.blockMs),
        'STREAMS',
        ...streams,
        ...streams.map(() => '>'),
      )) as StreamReply | null;
    } catch (err) {
      if (this.#closed) return [];
      throw new OrderLogError('ORDER_LOG_UNAVAILABLE', 'XREADGROUP failed', { cause: err });
    }
    if (reply === null) return [];
    const out: LogRecord[] = [];
    for (const [stream, entries] of reply) {
      const p = this.partitions[streams.indexOf(stream)];
      if (p === undefined) continue;
      const unacked = this.#unacked.get(p) ?? [];
      for (const entry of entries) {
        const record = toRecord(p, entry);
        out.push(record);
        unacked.push(record.offset);
        this.#delivered.set(p, record.offset + 1);
      }
      this.#unacked.set(p, unacked);
    }
    return out;
  }

  async commit(next: ReadonlyMap<number, number>): Promise<void> {
    const pipeline = this.#redis.pipeline();
    for (const [p, offset] of next) {
      const unacked = this.#unacked.get(p) ?? [];
      const done = unacked.filter((o) => o < offset);
      this.#unacked.set(
        p,
        unacked.filter((o) => o >= offset),
      );
      const stream = this.#log.key(p, 'stream');
      for (let i = 0; i < done.length; i += 500) {
        pipeline.xack(stream, this.#group, ...done.slice(i, i + 500).map(idOfOffset));
      }
      pipeline.hset(this.#log.key(p, 'committed'), this.#group, String(offset));
    }
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([err]) => err);
    if (failed) throw new OrderLogError('ORDER_LOG_UNAVAILABLE', 'commit failed', { cause: failed[0] });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#reader.disconnect();
  }
}
