/** Replication settings. Defaults follow Riak: n=3, r=w=quorum, pr=pw=0, 64 partitions. */
export interface ReplicationConfig {
  /** Replicas per key. */
  n: number;
  /** Replies a read waits for. */
  r: number;
  /** Durable stores a write waits for. */
  w: number;
  /** Of those replies, how many must come from primaries (turns sloppy quorum off when > 0). */
  pr: number;
  pw: number;
  requestTimeoutMs: number;
  /** Partitions in the ring: a power of two in [8, 1024]. */
  ringSize: number;
  heartbeatIntervalMs: number;
  /** A peer not heard from for this long is considered down. */
  failureTimeoutMs: number;
  /** How often a node looks for partitions to hand off (hinted and ownership handoff). */
  handoffIntervalMs: number;
  /**
   * Most missed-replica hints a node keeps: (vnode, key) pairs whose write a replica did not
   * acknowledge (down with no fallback, or silent until the deadline), delivered when it is up
   * again. Past the bound a hint is dropped and anti-entropy repairs the key instead; 0 keeps none.
   */
  maxHints: number;
  aae: {
    /** One periodic exchange per node per interval (the background rate limit). */
    intervalMs: number;
    /** Keys compared and repaired per exchange at most (the batch limit). */
    maxKeysPerExchange: number;
    /** Catch-up exchanges in flight at once (after a peer comes up). */
    maxConcurrentExchanges: number;
    /**
     * Catch-up: when a peer comes up (or this node starts), every tree shared with it is compared,
     * starting at most this many exchanges per second; 0 turns catch-up off.
     */
    catchUpExchangesPerSecond: number;
  };
}

/** What callers pass: any subset, the `aae` block too. */
export type ReplicationConfigInput = Partial<Omit<ReplicationConfig, 'aae'>> & {
  readonly aae?: Partial<ReplicationConfig['aae']>;
};

export const DEFAULT_REPLICATION_CONFIG: ReplicationConfig = Object.freeze({
  n: 3,
  r: 2,
  w: 2,
  pr: 0,
  pw: 0,
  requestTimeoutMs: 5_000,
  ringSize: 64,
  heartbeatIntervalMs: 1_000,
  failureTimeoutMs: 5_000,
  handoffIntervalMs: 2_000,
  maxHints: 50_000,
  aae: Object.freeze({
    intervalMs: 5_000,
    maxKeysPerExchange: 256,
    maxConcurrentExchanges: 4,
    catchUpExchangesPerSecond: 200,
  }),
}) as ReplicationConfig;

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/** Merges `partial` over the defaults and validates; misuse throws TypeError. */
export function resolveConfig(partial: ReplicationConfigInput = {}): ReplicationConfig {
  const c: ReplicationConfig = {
    ...DEFAULT_REPLICATION_CONFIG,
    ...partial,
    aae: { ...DEFAULT_REPLICATION_CONFIG.aae, ...(partial.aae ?? {}) },
  };
  if (!isInt(c.ringSize, 8, 1024) || (c.ringSize & (c.ringSize - 1)) !== 0) {
    throw new TypeError(`ringSize must be a power of two in [8, 1024], got ${c.ringSize}`);
  }
  if (!isInt(c.n, 1, Math.min(16, c.ringSize))) throw new TypeError(`n must be an integer in [1, 16]`);
  for (const k of ['r', 'w', 'pr', 'pw'] as const) {
    const min = k === 'r' || k === 'w' ? 1 : 0;
    if (!isInt(c[k], min, c.n)) throw new TypeError(`${k} must be an integer in [${min}, n=${c.n}]`);
  }
  for (const k of [
    'requestTimeoutMs',
    'heartbeatIntervalMs',
    'failureTimeoutMs',
    'handoffIntervalMs',
  ] as const) {
    if (!isInt(c[k], 1, 86_400_000)) throw new TypeError(`${k} must be a positive integer (ms)`);
  }
  if (!isInt(c.aae.intervalMs, 1, 86_400_000)) throw new TypeError('aae.intervalMs must be positive');
  if (!isInt(c.aae.maxKeysPerExchange, 1, 100_000)) {
    throw new TypeError('aae.maxKeysPerExchange must be in [1, 100000]');
  }
  if (!isInt(c.aae.maxConcurrentExchanges, 1, 64)) {
    throw new TypeError('aae.maxConcurrentExchanges must be an integer in [1, 64]');
  }
  if (!isInt(c.aae.catchUpExchangesPerSecond, 0, 10_000)) {
    throw new TypeError('aae.catchUpExchangesPerSecond must be an integer in [0, 10000] (0: off)');
  }
  if (!isInt(c.maxHints, 0, 10_000_000)) throw new TypeError('maxHints must be an integer in [0, 10000000]');
  return c;
}
