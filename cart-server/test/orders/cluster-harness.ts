/**
 * A real three-node shop sharing one order system on a real Redis, for the cluster order tests
 * (cluster-crash, lease-fencing): the nodes are separate processes started from the sources with
 * one `--data-dir` root, so each keeps its own LevelDB under `<root>/<nodeId>` while the
 * confirmation folder `<root>/outbox-mail` is shared. No PostgreSQL: every node seeds its own
 * catalog with the same deterministic demo products (seed 42), checked on start.
 *
 * The shoppers here behave as a careful client must: a request that dies with its node (a
 * connection error, a timeout, a 5xx) is retried with the SAME Idempotency-Key, on the next node.
 * `verifyOrderInvariants` then checks what the order path promises, naming the invariant that broke.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { CatalogGenerator } from '../../src/catalog/seed/generator.js';
import { deriveOrderId, MAX_STOCK, type OrderView, partitionForKey } from '../../src/orders/index.js';
import { type RedisProcess, startRedis } from '../support/redis.js';
import { createShopCluster, FAST_TIMERS, type ServerProcess, token } from '../support/server-process.js';

/** What the platform wires: 16 partitions under the default prefix. */
export const PARTITIONS = 16;
export const PREFIX = 'cw:orders';
const DEMO_PRODUCTS = 200;
const REQUEST_TIMEOUT_MS = 10_000;
/** A client gives up on one operation after this long (every node tried many times). */
const OPERATION_DEADLINE_MS = 60_000;

export interface SeededProduct {
  readonly id: string;
  readonly status: string;
  /** The catalog's stock, the same on every node. */
  readonly stock: number;
}

export interface LineSpec {
  readonly productId: string;
  readonly quantity: number;
}

export interface OrderAttempt {
  readonly n: string;
  readonly userId: string;
  readonly key: string;
  readonly cartId: string;
  /** Derived from (user, key): the id the order has if any attempt placed it. */
  readonly orderId: string;
  /** Some attempt answered 202. */
  accepted: boolean;
  /** The final 4xx code when refused (never accepted), and the answer. */
  refused?: string;
  refusal?: string;
  /** Every request of the attempt: method, node, answer, when (ms since the cluster started). */
  readonly trail: string[];
  attempts: number;
  /** A failed attempt (5xx / connection error) was retried, possibly through another node. */
  retried: boolean;
}

export interface HttpAnswer {
  readonly status: number;
  readonly json: Record<string, unknown>;
}

export class OrderCluster {
  readonly redis: RedisProcess;
  readonly nodes: readonly ServerProcess[];
  readonly dataDir: string;
  readonly mailDir: string;
  readonly products: readonly SeededProduct[];
  /** Nodes not to send new requests to (paused; killed ones refuse connections by themselves). */
  readonly avoid = new Set<number>();
  /** When the cluster was up (the origin of `trail` times). */
  readonly startedAt = Date.now();
  /** The end of the last failure (restart finished, pause ended). */
  lastFailureEndedAt = Date.now();
  /** When the last checkout was accepted. */
  lastAcceptedAt = Date.now();
  /** Applied seller adjustments (answered 202), per product. */
  readonly adjusted = new Map<string, number>();
  readonly attempts: OrderAttempt[] = [];
  /** Inventory levels read while the run went on, outside 0..MAX_STOCK (should stay empty). */
  readonly badLevels: string[] = [];
  readonly #tokens = new Map<string, Promise<string>>();
  #db: Redis | undefined;
  #rr = 0;

  private constructor(
    redis: RedisProcess,
    nodes: ServerProcess[],
    dataDir: string,
    products: SeededProduct[],
  ) {
    this.redis = redis;
    this.nodes = nodes;
    this.dataDir = dataDir;
    this.mailDir = join(dataDir, 'outbox-mail');
    this.products = products;
  }

  /** Redis, three nodes with the platform on, every product's inventory seeded. */
  static async start(
    options: { env?: Readonly<Record<string, string>>; nodeArgs?: readonly string[] } = {},
  ): Promise<OrderCluster> {
    const redis = await startRedis();
    let started: { nodes: ServerProcess[]; dataDir: string };
    try {
      started = await createShopCluster({
        redisUrl: redis.url,
        args: [...FAST_TIMERS, '--fsync', 'never', '--access-log', 'off'],
        ...(options.env === undefined ? {} : { env: options.env }),
        ...(options.nodeArgs === undefined ? {} : { nodeArgs: () => options.nodeArgs! }),
      });
    } catch (err) {
      await redis.stop();
      throw err;
    }
    const { nodes, dataDir } = started;
    const products = [...new CatalogGenerator({ seed: 42 }).products(DEMO_PRODUCTS)].map((p) => ({
      id: p.id,
      status: p.availability.status,
      stock: p.availability.stock,
    }));
    const cluster = new OrderCluster(redis, nodes, dataDir, products);
    await cluster.#checkSeeded();
    return cluster;
  }

  /**
   * Every node's catalog holds the same demo products (the seed is deterministic), and the
   * inventory of each is the catalog's stock, recorded once for the cluster.
   */
  async #checkSeeded(): Promise<void> {
    const problems: string[] = [];
    for (let i = 0; i < this.nodes.length; i++) {
      await this.#forEach(this.products, 16, async (p) => {
        const r = await this.call(i, 'GET', `/v1/products/${p.id}`);
        const doc = r.json as { availability?: { status: string; stock: number } };
        if (r.status !== 200 || doc.availability?.stock !== p.stock || doc.availability.status !== p.status)
          problems.push(
            `n${i + 1} ${p.id}: ${r.status} ${JSON.stringify(doc.availability)} ≠ stock ${p.stock}`,
          );
      });
    }
    if (problems.length > 0)
      throw new Error(`the demo catalog differs between nodes:\n${problems.slice(0, 10).join('\n')}`);
    const deadline = Date.now() + 60_000;
    let unseeded = [...this.products];
    while (unseeded.length > 0) {
      if (Date.now() > deadline)
        throw new Error(`inventory not seeded from the catalog: ${unseeded.map((p) => p.id).join(', ')}`);
      const still: SeededProduct[] = [];
      await this.#forEach(unseeded, 16, async (p) => {
        const level = await this.stock(p.id);
        if (level === undefined) still.push(p);
        else if (level !== p.stock) problems.push(`${p.id}: inventory ${level} ≠ catalog stock ${p.stock}`);
      });
      unseeded = still;
      if (unseeded.length > 0) await new Promise((r) => setTimeout(r, 200));
    }
    if (problems.length > 0) throw new Error(`inventory seeded wrong:\n${problems.join('\n')}`);
  }

  /** Direct Redis access for the checks (the log and the checkpointed state). */
  get db(): Redis {
    this.#db ??= new Redis(this.redis.url, { maxRetriesPerRequest: 2 });
    return this.#db;
  }

  token(sub: string, role: 'user' | 'seller' = 'user'): Promise<string> {
    const key = `${role}:${sub}`;
    let t = this.#tokens.get(key);
    if (t === undefined) {
      t = token(sub, { role });
      this.#tokens.set(key, t);
    }
    return t;
  }

  /** One request to one node; throws on a connection error or timeout. */
  async call(
    node: number,
    method: string,
    path: string,
    options: { bearer?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<HttpAnswer> {
    const res = await fetch(`${this.nodes[node]!.url}${path}`, {
      method,
      headers: {
        ...(options.bearer === undefined ? {} : { authorization: `Bearer ${options.bearer}` }),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = { text };
    }
    return { status: res.status, json };
  }

  /** A node to start a request at: round robin over the nodes not avoided. */
  pick(): number {
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.#rr++ % this.nodes.length;
      if (!this.avoid.has(n)) return n;
    }
    return 0;
  }

  /**
   * Sends the same request (same Idempotency-Key, if any) until a node answers below 500, moving
   * to the next node after each connection error, timeout or 5xx. `onRetry` hears of each failure;
   * `trail` gets a line per request sent.
   */
  async resilient(
    start: number,
    what: string,
    method: string,
    path: string,
    options: { bearer?: string; body?: unknown; headers?: Record<string, string> },
    onRetry: () => void = () => undefined,
    trail?: string[],
  ): Promise<HttpAnswer> {
    const deadline = Date.now() + OPERATION_DEADLINE_MS;
    let last = '';
    for (let attempt = 0; ; attempt++) {
      let node = (start + attempt) % this.nodes.length;
      if (this.avoid.has(node)) node = (node + 1) % this.nodes.length;
      const sent = Date.now() - this.startedAt;
      try {
        const r = await this.call(node, method, path, options);
        trail?.push(`${method} n${node + 1} ${r.status} @${sent}..${Date.now() - this.startedAt}`);
        if (r.status < 500) return r;
        last = `n${node + 1}: ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`;
      } catch (err) {
        last = `n${node + 1}: ${(err as Error).message}`;
        trail?.push(`${method} n${node + 1} ${last} @${sent}..${Date.now() - this.startedAt}`);
      }
      onRetry();
      if (Date.now() > deadline) throw new Error(`${what}: no node answered in time (last: ${last})`);
      // After every node failed once, back off a little: a node is restarting.
      if (attempt % this.nodes.length === this.nodes.length - 1)
        await new Promise((r) => setTimeout(r, Math.min(500, 50 * (attempt + 1))));
    }
  }

  /**
   * Fills a fresh cart with `lines` and checks it out, retrying as a careful client does. With
   * `ready`, the checkout waits for it once the cart is filled (to fire many at once).
   */
  async placeOrder(
    n: string,
    userId: string,
    lines: readonly LineSpec[],
    start = this.pick(),
    ready?: (filled: true) => Promise<void>,
  ): Promise<OrderAttempt> {
    const key = `key-${n}`;
    const cartId = `cart-${n}`;
    const attempt: OrderAttempt = {
      n,
      userId,
      key,
      cartId,
      orderId: deriveOrderId(userId, key, partitionForKey(userId, PARTITIONS)),
      accepted: false,
      attempts: 0,
      retried: false,
      trail: [],
    };
    this.attempts.push(attempt);
    const bearer = await this.token(userId);
    const retried = () => {
      attempt.retried = true;
    };
    for (const line of lines) {
      // Set, not add: a retried request leaves the same quantity.
      const r = await this.resilient(
        start,
        `cart line ${n}`,
        'PUT',
        `/v1/carts/${cartId}/items/${line.productId}`,
        { bearer, body: { quantity: line.quantity } },
        undefined,
        attempt.trail,
      );
      if (r.status !== 200) throw new Error(`cart line ${n}: ${r.status} ${JSON.stringify(r.json)}`);
    }
    await ready?.(true);
    const r = await this.resilient(
      start,
      `checkout ${n}`,
      'POST',
      '/v1/orders',
      { bearer, body: { cartId }, headers: { 'idempotency-key': key } },
      () => {
        attempt.attempts++;
        retried();
      },
      attempt.trail,
    );
    attempt.attempts++;
    if (r.status === 202) {
      attempt.accepted = true;
      this.lastAcceptedAt = Date.now();
      if (r.json.orderId !== attempt.orderId)
        throw new Error(`checkout ${n}: order id ${String(r.json.orderId)} ≠ derived ${attempt.orderId}`);
    } else {
      attempt.refused = (r.json.error as { code?: string } | undefined)?.code ?? String(r.status);
      attempt.refusal = `${r.status} ${JSON.stringify(r.json).slice(0, 300)} [${attempt.trail.join('; ')}]`;
    }
    return attempt;
  }

  /** A seller's positive adjustment, retried with its key until some node accepts it. */
  async adjust(n: string, productId: string, quantity: number): Promise<void> {
    const bearer = await this.token('seller-1', 'seller');
    const r = await this.resilient(this.pick(), `adjust ${n}`, 'POST', '/v1/inventory', {
      bearer,
      body: { productId, quantity, mode: 'adjust' },
      headers: { 'idempotency-key': `adjust-${n}` },
    });
    if (r.status !== 202) throw new Error(`adjust ${n}: ${r.status} ${JSON.stringify(r.json)}`);
    this.adjusted.set(productId, (this.adjusted.get(productId) ?? 0) + quantity);
  }

  /** Checkpointed inventory level as a seller reads it (undefined: none recorded). */
  async stock(productId: string, start = this.pick()): Promise<number | undefined> {
    const bearer = await this.token('seller-1', 'seller');
    const r = await this.resilient(start, `stock of ${productId}`, 'GET', `/v1/inventory/${productId}`, {
      bearer,
    });
    if (r.status !== 200) throw new Error(`stock of ${productId}: ${r.status} ${JSON.stringify(r.json)}`);
    const body = r.json as { available: number; known: boolean };
    return body.known ? body.available : undefined;
  }

  /** Reads a level mid-run and remembers it if it is out of bounds. */
  async sampleStock(productId: string): Promise<void> {
    const level = await this.stock(productId);
    if (level !== undefined && (level < 0 || level > MAX_STOCK || !Number.isInteger(level)))
      this.badLevels.push(`${productId}: ${level}`);
  }

  /** The order as its owner reads it through some node. */
  async order(attempt: Pick<OrderAttempt, 'orderId' | 'userId' | 'n'>): Promise<OrderView> {
    const r = await this.resilient(
      this.pick(),
      `order ${attempt.n}`,
      'GET',
      `/v1/orders/${attempt.orderId}`,
      {
        bearer: await this.token(attempt.userId),
      },
    );
    if (r.status !== 200) throw new Error(`order ${attempt.n}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json as unknown as OrderView;
  }

  /** Waits until every order in `attempts` is decided; resolves with the views, by order id. */
  async decided(
    attempts: readonly Pick<OrderAttempt, 'orderId' | 'userId' | 'n'>[],
    deadline: number,
  ): Promise<Map<string, OrderView>> {
    const views = new Map<string, OrderView>();
    let open = [...attempts];
    for (;;) {
      const still: typeof open = [];
      await this.#forEach(open, 24, async (a) => {
        const view = await this.order(a);
        if (view.status === 'pending') still.push(a);
        else views.set(a.orderId, view);
      });
      open = still;
      if (open.length === 0) return views;
      if (Date.now() > deadline) {
        throw new Error(
          `invariant "every accepted order reaches one outcome in time" broken: ${open.length} still pending, e.g. ${open
            .slice(0, 5)
            .map((a) => a.orderId)
            .join(', ')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The node id holding each partition's lease (undefined: none), read from Redis. */
  async leaseHolders(): Promise<(string | undefined)[]> {
    const values = await this.db.mget(Array.from({ length: PARTITIONS }, (_, p) => `${PREFIX}:{${p}}:lease`));
    // "<node>/<incarnation>:<token>"
    return values.map((v) => (v === null ? undefined : v.slice(0, v.indexOf('/'))));
  }

  /** The order path's warnings so far ('order path error'), counted by node and error code. */
  orderPathErrors(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const node of this.nodes) {
      for (const line of node.output().split('\n')) {
        if (!line.includes('"msg":"order path error"')) continue;
        const code = /"code":"([^"]+)"/.exec(line)?.[1] ?? /"message":"([^"]{0,60})/.exec(line)?.[1] ?? '?';
        const key = `${node.nodeId} ${code}`;
        counts[key] = (counts[key] ?? 0) + 1;
      }
    }
    return counts;
  }

  /** SIGKILLs node `i` and starts it again on the same data; resolves when it listens again. */
  async crashAndRestart(i: number): Promise<void> {
    await this.nodes[i]!.kill();
    await this.nodes[i]!.start();
    this.lastFailureEndedAt = Date.now();
  }

  async #forEach<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, items.length) }, async () => {
        while (next < items.length) await fn(items[next++]!);
      }),
    );
  }

  forEach<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
    return this.#forEach(items, concurrency, fn);
  }

  /** Stops every node (SIGTERM: a clean exit writes `--cpu-prof` profiles), then Redis. */
  async close(): Promise<void> {
    for (const n of this.nodes) n.resume();
    await Promise.all(this.nodes.map((n) => n.stop()));
    this.#db?.disconnect();
    await this.redis.stop();
  }
}

/** Every order event in the log, by order id, with how often it occurs (the log deduplicates). */
async function placedInLog(db: Redis): Promise<Map<string, number>> {
  const placed = new Map<string, number>();
  for (let p = 0; p < PARTITIONS; p++) {
    const entries = (await db.xrange(`${PREFIX}:{${p}}:stream`, '-', '+')) as [string, string[]][];
    for (const [, fields] of entries) {
      const event = JSON.parse(fields[fields.indexOf('v') + 1] ?? '{}') as {
        type?: string;
        orderId?: string;
      };
      if (event.type === 'order.placed' && event.orderId !== undefined)
        placed.set(event.orderId, (placed.get(event.orderId) ?? 0) + 1);
    }
  }
  return placed;
}

/** Every decided order in the checkpointed state of the partitions, by order id. */
async function decidedInState(db: Redis): Promise<Map<string, OrderView>> {
  const out = new Map<string, OrderView>();
  for (let p = 0; p < PARTITIONS; p++) {
    const all = await db.hgetall(`${PREFIX}:{${p}}:orders`);
    for (const [id, json] of Object.entries(all)) out.set(id, JSON.parse(json) as OrderView);
  }
  return out;
}

/**
 * The order system is at rest: every partition checkpointed to its log end, no saga waiting, no
 * outbox message undelivered — stable over two reads.
 */
export async function waitQuiet(cluster: OrderCluster, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const snapshot = async (): Promise<string | undefined> => {
    const pipeline = cluster.db.pipeline();
    for (let p = 0; p < PARTITIONS; p++) {
      pipeline.get(`${PREFIX}:{${p}}:seq`);
      pipeline.get(`${PREFIX}:{${p}}:offset`);
      pipeline.hlen(`${PREFIX}:{${p}}:sagas`);
      pipeline.hlen(`${PREFIX}:{${p}}:outbox`);
    }
    const replies = ((await pipeline.exec()) ?? []).map(([, v]) => Number(v ?? 0));
    for (let p = 0; p < PARTITIONS; p++) {
      const [seq, offset, sagas, outbox] = replies.slice(p * 4, p * 4 + 4);
      if (seq !== offset || sagas !== 0 || outbox !== 0) return undefined;
    }
    return replies.join(',');
  };
  let last: string | undefined;
  for (;;) {
    const now = await snapshot();
    if (now !== undefined && now === last) return;
    last = now;
    if (Date.now() > deadline) {
      const lines: string[] = [];
      for (let p = 0; p < PARTITIONS; p++) {
        const [seq, offset, sagas, outbox] = await Promise.all([
          cluster.db.get(`${PREFIX}:{${p}}:seq`),
          cluster.db.get(`${PREFIX}:{${p}}:offset`),
          cluster.db.hlen(`${PREFIX}:{${p}}:sagas`),
          cluster.db.hlen(`${PREFIX}:{${p}}:outbox`),
        ]);
        lines.push(`p${p}: log end ${seq}, checkpoint ${offset}, open sagas ${sagas}, outbox ${outbox}`);
      }
      throw new Error(`the order system did not come to rest:\n${lines.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface InvariantReport {
  readonly accepted: number;
  readonly confirmed: number;
  readonly rejected: number;
  /** Orders in the log whose client never saw a 202 (all its attempts failed). */
  readonly unacknowledged: number;
  readonly retriedOrders: number;
  readonly emlFiles: number;
  /** From the later of the last failure's end and the last acceptance until all were decided. */
  readonly decidedWithinMs: number;
  /** From the last failure's end until all were decided. */
  readonly decidedAfterLastFailureMs: number;
  /** How long reading every accepted order back over HTTP took. */
  readonly readBackMs: number;
  /** Every decided order's checkpointed outcome, by order id. */
  readonly outcomes: ReadonlyMap<string, OrderView>;
  /** Broken invariants, each named; empty when everything holds. */
  readonly violations: readonly string[];
}

/**
 * Checks, after the run and its last failure:
 *  - every accepted order reaches exactly one outcome within `boundMs` once failures and
 *    checkouts stopped (the outcome its owner reads equals the one checkpointed; each order is
 *    in the log once);
 *  - the system comes to rest (nothing pending, no open saga, outboxes delivered);
 *  - stock stays within 0..MAX_STOCK and is conserved per product:
 *    initial + Σ applied adjustments − Σ confirmed quantities = final (read over HTTP);
 *  - exactly one `.eml` per confirmed order and none for a rejected one.
 */
export async function verifyOrderInvariants(
  cluster: OrderCluster,
  boundMs = 30_000,
): Promise<InvariantReport> {
  const violations: string[] = [];
  const accepted = cluster.attempts.filter((a) => a.accepted);
  // The bound is measured on the checkpointed outcomes (what every node reads), not on how fast
  // this client can read thousands of orders back.
  const start = Math.max(cluster.lastFailureEndedAt, cluster.lastAcceptedAt);
  for (;;) {
    const decided = await decidedInState(cluster.db);
    const open = accepted.filter((a) => {
      const status = decided.get(a.orderId)?.status;
      return status !== 'confirmed' && status !== 'rejected';
    });
    if (open.length === 0) break;
    if (Date.now() > start + boundMs) {
      throw new Error(
        `invariant "every accepted order reaches one outcome within ${boundMs} ms" broken: ${open.length} undecided, e.g. ${open
          .slice(0, 5)
          .map((a) => a.orderId)
          .join(', ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const decidedWithinMs = Date.now() - start;
  const decidedAfterLastFailureMs = Date.now() - cluster.lastFailureEndedAt;
  await waitQuiet(cluster, boundMs);
  // Every accepted order as its owner reads it through the API (any node).
  const readBack = Date.now();
  const views = await cluster.decided(accepted, Date.now() + 60_000);
  const readBackMs = Date.now() - readBack;

  const placed = await placedInLog(cluster.db);
  const state = await decidedInState(cluster.db);
  for (const [id, count] of placed)
    if (count !== 1) violations.push(`order ${id} is in the log ${count} times`);
  const undecided = [...placed.keys()].filter((id) => !state.has(id));
  if (undecided.length > 0)
    violations.push(
      `one outcome per order: ${undecided.length} orders in the log have none, e.g. ${undecided[0]}`,
    );
  const phantom = [...state.keys()].filter((id) => !placed.has(id));
  if (phantom.length > 0)
    violations.push(`outcomes for orders never placed: ${phantom.slice(0, 3).join(', ')}`);
  for (const view of state.values()) {
    if (view.status !== 'confirmed' && view.status !== 'rejected')
      violations.push(`order ${view.orderId} checkpointed as ${view.status}`);
  }
  for (const a of accepted) {
    const seen = views.get(a.orderId);
    const kept = state.get(a.orderId);
    if (!placed.has(a.orderId)) violations.push(`accepted order ${a.orderId} (${a.n}) is not in the log`);
    if (
      seen === undefined ||
      kept === undefined ||
      seen.status !== kept.status ||
      seen.processedAt !== kept.processedAt
    )
      violations.push(
        `one outcome per order: ${a.orderId} read as ${seen?.status}@${seen?.processedAt}, checkpointed as ${kept?.status}@${kept?.processedAt}`,
      );
  }
  const acceptedIds = new Set(accepted.map((a) => a.orderId));
  const unacknowledged = [...placed.keys()].filter((id) => !acceptedIds.has(id)).length;

  // Stock: bounds and conservation, per product, read as a seller over HTTP.
  const confirmedUnits = new Map<string, number>();
  let confirmed = 0;
  let rejected = 0;
  for (const view of state.values()) {
    if (view.status === 'rejected') rejected++;
    if (view.status !== 'confirmed') continue;
    confirmed++;
    for (const line of view.lines)
      confirmedUnits.set(line.productId, (confirmedUnits.get(line.productId) ?? 0) + line.quantity);
  }
  await cluster.forEach(cluster.products, 16, async (p) => {
    const level = await cluster.stock(p.id);
    const expected = p.stock + (cluster.adjusted.get(p.id) ?? 0) - (confirmedUnits.get(p.id) ?? 0);
    if (level === undefined) violations.push(`stock of ${p.id} is unknown`);
    else if (level < 0 || level > MAX_STOCK) violations.push(`stock out of bounds: ${p.id} = ${level}`);
    else if (level !== expected)
      violations.push(
        `stock conservation: ${p.id} is ${level}, expected ${p.stock} + ${cluster.adjusted.get(p.id) ?? 0} adjusted − ${confirmedUnits.get(p.id) ?? 0} confirmed = ${expected}`,
      );
  });
  for (const bad of cluster.badLevels) violations.push(`stock out of bounds during the run: ${bad}`);

  // Confirmations: one file per confirmed order, none for a rejected one.
  const names = (await readdir(cluster.mailDir)).filter((n) => n.endsWith('.eml'));
  const files = new Set(names);
  for (const view of state.values()) {
    const name = `${view.orderId}-confirmation.eml`;
    if (view.status === 'confirmed' && !files.has(name))
      violations.push(`one .eml per confirmed order: none for ${view.orderId}`);
    if (view.status === 'rejected' && files.has(name))
      violations.push(`no .eml for a rejected order: ${view.orderId} has one`);
  }
  for (const name of names) {
    const id = name.replace(/-confirmation\.eml$/, '');
    if (!state.has(id)) violations.push(`an .eml for an order with no outcome: ${name}`);
  }
  for (const name of names.slice(0, 20)) {
    const text = await readFile(join(cluster.mailDir, name), 'utf8');
    const id = name.replace(/-confirmation\.eml$/, '');
    if (!text.includes(`X-Order-Id: ${id}`)) violations.push(`${name} is not the confirmation of ${id}`);
  }
  return {
    accepted: accepted.length,
    confirmed,
    rejected,
    unacknowledged,
    retriedOrders: cluster.attempts.filter((a) => a.retried).length,
    emlFiles: names.length,
    decidedWithinMs,
    decidedAfterLastFailureMs,
    readBackMs,
    outcomes: state,
    violations,
  };
}

/**
 * Bought lines leave the cart with the confirmation; a rejected order's lines stay (a sample of
 * each, read by the owner).
 */
export async function checkCarts(
  cluster: OrderCluster,
  views: ReadonlyMap<string, OrderView>,
  sample = 20,
): Promise<string[]> {
  const problems: string[] = [];
  const pick = (status: string) =>
    cluster.attempts.filter((a) => a.accepted && views.get(a.orderId)?.status === status).slice(0, sample);
  for (const [status, expectLines] of [
    ['confirmed', false],
    ['rejected', true],
  ] as const) {
    for (const a of pick(status)) {
      const r = await cluster.resilient(cluster.pick(), `cart ${a.cartId}`, 'GET', `/v1/carts/${a.cartId}`, {
        bearer: await cluster.token(a.userId),
      });
      const lines = (r.json as { lines?: unknown[] }).lines ?? [];
      if (expectLines !== lines.length > 0)
        problems.push(`cart of ${status} order ${a.orderId} has ${lines.length} lines`);
    }
  }
  return problems;
}
