/**
 * Order log on Redis Streams (ioredis), for deployments that outgrow one machine. One stream per
 * partition; every key of a partition shares a hash tag so the Lua append stays in one slot on
 * Redis Cluster:
 *   <prefix>:{<p>}:stream         the records; entry id `0-<offset+1>` makes offsets dense
 *   <prefix>:{<p>}:seq            the next offset (INCR)
 *   <prefix>:{<p>}:dedupe:<id>    "<p>:<offset>" of the record appended with that dedupe id
 *   <prefix>:{<p>}:claim:<claim>  the dedupe id holding the claim (expires after `claimTtlMs`)
 * Readers own their offsets (in their checkpoints), so polling is a plain XREAD from the offsets
 * asked for, on a connection of its own (a blocking read would stall every other command).
 */
import { Redis } from 'ioredis';
import { OrderLogError } from '../errors.js';
import { partitionKey } from '../redis-keys.js';
import {
  type AppendRequest,
  type AppendResult,
  ClaimConflictError,
  checkAppendRequest,
  checkClaims,
  checkOffset,
  checkPartition,
  checkPartitionCount,
  type LogPosition,
  type LogRecord,
  MAX_LOG_VALUE_BYTES,
  type OrderLog,
  type PollOptions,
  partitionForKey,
  targetPartition,
} from './order-log.js';

export interface RedisOrderLogOptions {
  readonly url: string;
  readonly partitions: number;
  /** Key prefix (default "cw:orders"). */
  readonly prefix?: string;
  /** How long a claim is kept (default 30 days): longer than any order takes to settle. */
  readonly claimTtlMs?: number;
}

// KEYS: stream, seq, dedupe, claim_1..claim_n ; ARGV: key, value, dedupeId ('' = none), partition, claimTtlMs
const APPEND_SCRIPT = `
if ARGV[3] ~= '' then
  local found = redis.call('GET', KEYS[3])
  if found then return {1, found} end
end
for i = 4, #KEYS do
  local holder = redis.call('GET', KEYS[i])
  if holder and holder ~= ARGV[3] then return {2, holder, i - 4} end
end
local offset = redis.call('INCR', KEYS[2]) - 1
redis.call('XADD', KEYS[1], '0-' .. (offset + 1), 'k', ARGV[1], 'v', ARGV[2], 'd', ARGV[3])
local pos = ARGV[4] .. ':' .. offset
if ARGV[3] ~= '' then redis.call('SET', KEYS[3], pos) end
for i = 4, #KEYS do redis.call('SET', KEYS[i], ARGV[3], 'PX', ARGV[5]) end
return {0, pos}
`;

// KEYS: claim_1..claim_n ; ARGV: holder
const RELEASE_SCRIPT = `
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
return 0
`;

interface LogCommands {
  cwLogAppend(numKeys: number, ...keysAndArgs: string[]): Promise<[number, string, number?]>;
  cwLogRelease(numKeys: number, ...keysAndArgs: string[]): Promise<number>;
}

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
  readonly #redis: Redis & LogCommands;
  readonly #url: string;
  readonly #prefix: string;
  readonly #claimTtlMs: number;
  /** The blocking XREAD's own connection, opened on the first poll. */
  #reader: Redis | undefined;
  #closed = false;

  private constructor(redis: Redis, url: string, partitions: number, prefix: string, claimTtlMs: number) {
    redis.defineCommand('cwLogAppend', { lua: APPEND_SCRIPT });
    redis.defineCommand('cwLogRelease', { lua: RELEASE_SCRIPT });
    this.#redis = redis as Redis & LogCommands;
    this.#url = url;
    this.partitions = partitions;
    this.#prefix = prefix;
    this.#claimTtlMs = claimTtlMs;
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
    return new RedisOrderLog(
      redis,
      options.url,
      options.partitions,
      options.prefix ?? 'cw:orders',
      options.claimTtlMs ?? 30 * 24 * 3_600_000,
    );
  }

  /** Key of partition `p` (hash-tagged so all keys of a partition share a cluster slot). */
  key(p: number, suffix: string): string {
    return partitionKey(this.#prefix, p, suffix);
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
    const p = targetPartition(request, this.partitions);
    const id = request.dedupeId ?? '';
    const claims = request.claims ?? [];
    let reply: [number, string, number?];
    try {
      reply = await this.#redis.cwLogAppend(
        3 + claims.length,
        this.key(p, 'stream'),
        this.key(p, 'seq'),
        this.key(p, `dedupe:${id}`),
        ...claims.map((c) => this.key(p, `claim:${c}`)),
        request.key,
        request.value,
        id,
        String(p),
        String(this.#claimTtlMs),
      );
    } catch (err) {
      throw new OrderLogError('ORDER_LOG_UNAVAILABLE', 'order log append failed', { cause: err });
    }
    if (reply[0] === 2) throw new ClaimConflictError(claims[reply[2] ?? 0] ?? '', reply[1]);
    return { ...parsePosition(reply[1]), duplicate: reply[0] === 1 };
  }

  async find(partition: number, dedupeId: string): Promise<LogPosition | undefined> {
    checkPartition(partition, this.partitions);
    const found = await this.#redis.get(this.key(partition, `dedupe:${dedupeId}`));
    return found === null ? undefined : parsePosition(found);
  }

  async releaseClaims(partition: number, claims: readonly string[], holder: string): Promise<void> {
    checkPartition(partition, this.partitions);
    checkClaims(claims);
    if (claims.length === 0) return;
    await this.#redis.cwLogRelease(
      claims.length,
      ...claims.map((c) => this.key(partition, `claim:${c}`)),
      holder,
    );
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

  async poll(from: ReadonlyMap<number, number>, options: PollOptions): Promise<LogRecord[]> {
    if (this.#closed || from.size === 0) {
      if (!this.#closed) await new Promise((r) => setTimeout(r, options.blockMs));
      return [];
    }
    const partitions = [...from.keys()];
    for (const p of partitions) checkPartition(p, this.partitions);
    this.#reader ??= new Redis(this.#url, { maxRetriesPerRequest: 2 });
    const streams = partitions.map((p) => this.key(p, 'stream'));
    const count = Math.max(1, Math.floor(options.maxRecords / partitions.length));
    let reply: StreamReply | null;
    try {
      // XREAD returns entries after the id given: `0-<offset>` is the entry before `offset`.
      reply = (await this.#reader.xread(
        'COUNT',
        count,
        'BLOCK',
        Math.max(1, options.blockMs),
        'STREAMS',
        ...streams,
        ...partitions.map((p) => `0-${from.get(p)!}`),
      )) as StreamReply | null;
    } catch (err) {
      if (this.#closed) return [];
      throw new OrderLogError('ORDER_LOG_UNAVAILABLE', 'XREAD failed', { cause: err });
    }
    if (reply === null) return [];
    const out: LogRecord[] = [];
    for (const [stream, entries] of reply) {
      const p = partitions[streams.indexOf(stream)];
      if (p === undefined) continue;
      for (const entry of entries) out.push(toRecord(p, entry));
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#reader?.disconnect();
    await this.#redis.quit().catch(() => undefined);
  }
}
