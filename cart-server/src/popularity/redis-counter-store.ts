/**
 * One set of popularity windows for a whole cluster, in Redis: a hash per UTC day
 * (`{cw:pop}:day:<day>`, fields `v:<id>`, `a:<id>`, `o:<id>`) that every node adds into with
 * HINCRBY, expiring when the day leaves the window. A flush must be exactly-once even though it
 * crosses the network, so it goes through a node-local outbox (the transactional-outbox pattern):
 *
 * 1. the pending increments become numbered batches (≤ `batchSize` rows each), written to the
 *    node's LevelDB together with the last batch number, in one atomic batch — from here on a
 *    crash or restart loses nothing (the counts are *acknowledged*, see counter-store.ts);
 * 2. each batch is applied by one Lua script that compares its number with the highest number
 *    applied for this writer (`{cw:pop}:applied`, writer → seq) and, only if it is newer, adds
 *    every row and records the number — atomically, so a batch retried after a timeout, a crash
 *    or a restart is applied once (idempotent receiver);
 * 3. the batch is deleted from the outbox.
 *
 * Batches are sent one at a time in number order, so "highest applied" is enough to deduplicate
 * (TCP-like cumulative acknowledgement) and Redis keeps one field per writer, not one key per
 * batch. A writer id is the node id plus a random tag chosen when the outbox is first created, so
 * a node whose data directory was wiped starts a new sequence instead of having its batches
 * taken for old ones. Every key carries the hash tag `{cw:pop}`, so the script's keys share one
 * slot on a Redis Cluster.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { LevelBatchOp, LevelLike } from '../storage/level-types.js';
import { addEvent, type CounterStore, DayKeyCache, type WindowRow } from './counter-store.js';
import { PopularityUnavailableError } from './errors.js';
import { DAY_MS, type DailyCounts, dayKey, type PopularityEvent } from './events.js';

export interface RedisCounterStoreOptions {
  readonly redis: Redis;
  /** The node's own database: holds the outbox, the writer id and the batch counter. */
  readonly local: LevelLike;
  readonly nodeId: string;
  /** Key prefix; the keys are `{<prefix>}:…` (default cw:pop). */
  readonly prefix?: string;
  readonly windowDays?: number;
  readonly now?: () => number;
  /** Flush once this many (day, product) pairs are pending (bounds memory). */
  readonly maxPending?: number;
  /** Rows per batch, i.e. per script call (bounds how long one call holds Redis; default 1000). */
  readonly batchSize?: number;
}

/** `[day, productId, views, adds, orders]` */
type Row = [string, string, number, number, number];

const APPLY_BATCH = `
local last = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) <= last then return 0 end
local ndays = tonumber(ARGV[3])
local i = 4 + ndays
while i <= #ARGV do
  local key = KEYS[1 + tonumber(ARGV[i])]
  local id = ARGV[i + 1]
  if ARGV[i + 2] ~= '0' then redis.call('HINCRBY', key, 'v:' .. id, ARGV[i + 2]) end
  if ARGV[i + 3] ~= '0' then redis.call('HINCRBY', key, 'a:' .. id, ARGV[i + 3]) end
  if ARGV[i + 4] ~= '0' then redis.call('HINCRBY', key, 'o:' .. id, ARGV[i + 4]) end
  i = i + 5
end
for d = 1, ndays do redis.call('PEXPIRE', KEYS[1 + d], ARGV[3 + d]) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

const SEQ_WIDTH = 15;
const batchKey = (seq: number): string => `b!${String(seq).padStart(SEQ_WIDTH, '0')}`;

export class RedisCounterStore implements CounterStore {
  readonly kind = 'redis';
  readonly #redis: Redis;
  readonly #outbox: LevelLike;
  readonly #tag: string;
  readonly #writer: string;
  readonly #pending = new Map<string, DailyCounts>();
  readonly #windowDays: number;
  readonly #now: () => number;
  readonly #maxPending: number;
  readonly #batchSize: number;
  readonly #days = new DayKeyCache();
  #seq: number;
  #flushing: Promise<void> = Promise.resolve();

  /** Opens the outbox (creating the writer id on first use). */
  static async open(options: RedisCounterStoreOptions): Promise<RedisCounterStore> {
    const outbox = options.local.sublevel('popularity-outbox', { valueEncoding: 'utf8' });
    let writer = await outbox.get('writer');
    if (writer === undefined) {
      writer = `${options.nodeId}.${randomBytes(4).toString('hex')}`;
      await outbox.put('writer', writer);
    }
    const seq = Number((await outbox.get('seq')) ?? '0');
    return new RedisCounterStore(options, outbox, writer, seq);
  }

  private constructor(options: RedisCounterStoreOptions, outbox: LevelLike, writer: string, seq: number) {
    this.#redis = options.redis;
    this.#outbox = outbox;
    this.#writer = writer;
    this.#seq = seq;
    this.#tag = `{${options.prefix ?? 'cw:pop'}}`;
    this.#windowDays = options.windowDays ?? 30;
    this.#now = options.now ?? Date.now;
    this.#maxPending = options.maxPending ?? 100_000;
    this.#batchSize = options.batchSize ?? 1000;
    if (!Number.isInteger(this.#windowDays) || this.#windowDays < 1) throw new TypeError('windowDays ≥ 1');
    if (!Number.isInteger(this.#batchSize) || this.#batchSize < 1) throw new TypeError('batchSize ≥ 1');
  }

  get windowDays(): number {
    return this.#windowDays;
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** This node's writer id (node id + the outbox's random tag). */
  get writer(): string {
    return this.#writer;
  }

  record(event: PopularityEvent): void {
    addEvent(this.#pending, `${this.#days.key(event.at ?? this.#now())}!${event.productId}`, event);
    if (this.#pending.size >= this.#maxPending) void this.flush().catch(() => undefined);
  }

  flush(): Promise<void> {
    const run = this.#flushing.then(() => this.#flushNow());
    this.#flushing = run.catch(() => undefined);
    return run;
  }

  /** Batches written to the outbox and not yet known to be applied (tests, status). */
  async outboxSize(): Promise<number> {
    let n = 0;
    for await (const _ of this.#outbox.keys({ gte: 'b!', lt: 'b"' })) n++;
    return n;
  }

  async #flushNow(): Promise<void> {
    await this.#spool();
    await this.#deliver();
  }

  /** Step 1: pending increments → numbered batches in the outbox (one atomic LevelDB batch). */
  async #spool(): Promise<void> {
    if (this.#pending.size === 0) return;
    const rows: Row[] = [];
    for (const [key, [v, a, o]] of this.#pending) {
      const bang = key.indexOf('!');
      rows.push([key.slice(0, bang), key.slice(bang + 1), v, a, o]);
    }
    const ops: LevelBatchOp[] = [];
    let seq = this.#seq;
    for (let i = 0; i < rows.length; i += this.#batchSize) {
      ops.push({
        type: 'put',
        key: batchKey(++seq),
        value: JSON.stringify(rows.slice(i, i + this.#batchSize)),
      });
    }
    ops.push({ type: 'put', key: 'seq', value: String(seq) });
    await this.#outbox.batch(ops); // throws before anything changed: the counts stay pending
    this.#seq = seq;
    this.#pending.clear();
  }

  /** Steps 2 and 3: apply each outbox batch once, in number order, then forget it. */
  async #deliver(): Promise<void> {
    for (;;) {
      const next: Array<[string, string]> = [];
      for await (const entry of this.#outbox.iterator({ gte: 'b!', lt: 'b"', limit: 64 })) next.push(entry);
      if (next.length === 0) return;
      for (const [key, raw] of next) {
        await this.#apply(Number(key.slice(2)), JSON.parse(raw) as Row[]);
        await this.#outbox.del(key);
      }
    }
  }

  async #apply(seq: number, rows: readonly Row[]): Promise<void> {
    const days = [...new Set(rows.map((r) => r[0]))];
    const dayIndex = new Map(days.map((d, i) => [d, i + 1]));
    const args: (string | number)[] = [this.#writer, seq, days.length];
    // A day's hash lives until the day has left the window (+1 day of slack for clock skew),
    // counted from this store's clock: a TTL, not an instant, so an injected clock works too.
    const now = this.#now();
    for (const d of days) args.push(Math.max(DAY_MS, Date.parse(d) + (this.#windowDays + 1) * DAY_MS - now));
    for (const [day, id, v, a, o] of rows) args.push(dayIndex.get(day)!, id, v, a, o);
    try {
      await this.#redis.eval(
        APPLY_BATCH,
        1 + days.length,
        `${this.#tag}:applied`,
        ...days.map((d) => this.#dayHash(d)),
        ...args,
      );
    } catch (err) {
      throw new PopularityUnavailableError(
        `cannot add popularity counts to Redis (kept in this node's outbox): ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  #dayHash(day: string): string {
    return `${this.#tag}:day:${day}`;
  }

  /** The days of the window, oldest first (today last). */
  #windowDaysList(): string[] {
    const now = this.#now();
    const out: string[] = [];
    for (let i = this.#windowDays - 1; i >= 0; i--) out.push(dayKey(now - i * DAY_MS));
    return out;
  }

  async *window(): AsyncIterable<WindowRow> {
    for (const day of this.#windowDaysList()) {
      const counts = new Map<string, DailyCounts>();
      let cursor = '0';
      do {
        let reply: [string, string[]];
        try {
          reply = await this.#redis.hscan(this.#dayHash(day), cursor, 'COUNT', 1000);
        } catch (err) {
          throw new PopularityUnavailableError(
            `cannot read the popularity window: ${(err as Error).message}`,
            {
              cause: err,
            },
          );
        }
        cursor = reply[0];
        const fields = reply[1];
        for (let i = 0; i + 1 < fields.length; i += 2) {
          const field = fields[i]!;
          const id = field.slice(2);
          let c = counts.get(id);
          if (c === undefined) {
            c = [0, 0, 0];
            counts.set(id, c);
          }
          c[field[0] === 'v' ? 0 : field[0] === 'a' ? 1 : 2] += Number(fields[i + 1]);
        }
      } while (cursor !== '0');
      // Sorted like the LevelDB store, so a ranking reads rows in the same order everywhere.
      for (const id of [...counts.keys()].sort()) yield [day, id, counts.get(id)!];
    }
  }

  async countsOf(productId: string, day: string): Promise<DailyCounts> {
    let stored: (string | null)[];
    try {
      stored = await this.#redis.hmget(
        this.#dayHash(day),
        `v:${productId}`,
        `a:${productId}`,
        `o:${productId}`,
      );
    } catch (err) {
      throw new PopularityUnavailableError(`cannot read popularity counts: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const p = this.#pending.get(`${day}!${productId}`) ?? [0, 0, 0];
    return [0, 1, 2].map((i) => Number(stored[i] ?? 0) + p[i]!) as DailyCounts;
  }

  /** Spools what is pending (always) and delivers it (when Redis answers). */
  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
  }
}
