// `npm run bench:replication [-- --json] [-- --quick]`: the replication core alone (issue 3).
// An in-process 5-node ring over the in-memory transport with zero latency (messages go through
// the microtask queue, still encoded and decoded as on a real wire), in-memory storage, N=3,
// R=2, W=2, default timers (heartbeats, handoff and anti-entropy run as in production).
//
//   updatesPerSec      quorum updates/s: `update()` on a random node (forwarded to a primary
//                      when that node is not one), acknowledged after W=2 durable stores;
//                      `concurrency` requests in flight over `keys` keys
//   readsPerSec        quorum reads/s (`get()` with R=2, read repair included)
//   messagesPerUpdate  node-to-node messages sent during the update phase / updates
//   bytesPerUpdate     their bytes / updates (frames: messages to one peer in one turn share a frame)
//   promisesPerUpdate  promises created per update (async_hooks, in a separate untimed phase)
// The ReplicatedType is a tiny grow-only counter (one entry per vnode actor), so the figures
// are the protocol's own overhead; `details.dotSet` repeats the phases with the dot-set test
// type (state grows with every add) and `details.cart` with the real cart type.
// Medians over `runs` runs. Progress goes to stderr; the table to stdout (stderr with --json).
import { createHook } from 'node:async_hooks';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { type Clock, cartType, ReplicaNode, type ReplicatedType } from '@cartwheel/crdt';
import { dotSetType, MemoryNetwork, MemoryStorage, SeededRandom } from '@cartwheel/crdt/testing';

/** A G-Counter: actor → count, join = pointwise max. Bounded state, so it measures the protocol. */
type GCounter = ReadonlyMap<string, number>;
const gCounterType: ReplicatedType<GCounter, 'inc'> = {
  name: 'g-counter',
  empty: () => new Map(),
  join(a, b) {
    const out = new Map(a);
    for (const [k, v] of b) if ((out.get(k) ?? 0) < v) out.set(k, v);
    return out;
  },
  equals(a, b) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) if (b.get(k) !== v) return false;
    return true;
  },
  encode(s) {
    // [count] then per entry [len][ascii actor][u32 count]; actors are ASCII vnode ids.
    const keys = [...s.keys()].sort();
    let size = 1;
    for (const k of keys) size += 1 + k.length + 4;
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    let pos = 0;
    out[pos++] = keys.length;
    for (const k of keys) {
      out[pos++] = k.length;
      for (let i = 0; i < k.length; i++) out[pos++] = k.charCodeAt(i);
      view.setUint32(pos, s.get(k)!);
      pos += 4;
    }
    return out;
  },
  decode(bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Map<string, number>();
    let pos = 1;
    for (let n = 0; n < bytes[0]!; n++) {
      const len = bytes[pos++]!;
      if (pos + len + 4 > bytes.length) throw new TypeError('bad g-counter');
      let actor = '';
      for (let i = pos; i < pos + len; i++) actor += String.fromCharCode(bytes[i]!);
      out.set(actor, view.getUint32(pos + len));
      pos += len + 4;
    }
    return out;
  },
  apply: (s, _op, actor) => new Map([[actor, (s.get(actor) ?? 0) + 1]]),
  encodeOp: () => new Uint8Array([1]),
  decodeOp: () => 'inc',
};

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    /** Measure only the g-counter (protocol overhead), e.g. for profiling. */
    core: { type: 'boolean', default: false },
  },
});
const QUICK = args.quick === true;
const CONFIG = {
  nodes: 5,
  keys: QUICK ? 2_000 : 10_000,
  updates: QUICK ? 20_000 : 60_000,
  reads: QUICK ? 20_000 : 60_000,
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 128),
  runs: QUICK ? 1 : 3,
};
const log = (s: string) => process.stderr.write(`${s}\n`);

const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(ms, fn) {
    const h = setTimeout(fn, ms);
    h.unref?.();
    return { cancel: () => clearTimeout(h) };
  },
};

interface Phase {
  perSec: number;
  messages: number;
  bytes: number;
  cpuUs: number;
}

async function cluster<S, Op>(type: ReplicatedType<S, Op>, seed: number) {
  const random = new SeededRandom(seed);
  const net = new MemoryNetwork({ random: random.fork() });
  const ids = Array.from({ length: CONFIG.nodes }, (_, i) => `n${i + 1}`);
  const nodes = ids.map(
    (id) =>
      new ReplicaNode({
        id,
        type,
        transport: net.transport(id),
        clock: systemClock,
        random: random.fork(),
        storage: new MemoryStorage(),
        members: ids,
        config: { n: 3, r: 2, w: 2 },
      }),
  );
  for (const n of nodes) await n.start();
  return { net, nodes, random };
}

/** Runs `total` requests with CONFIG.concurrency in flight; wall ms and process CPU µs per request. */
async function drive(
  total: number,
  one: (i: number) => Promise<unknown>,
): Promise<{ ms: number; cpuUs: number }> {
  let next = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const worker = async () => {
    while (next < total) await one(next++);
  };
  await Promise.all(Array.from({ length: CONFIG.concurrency }, worker));
  const c = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpuUs: (c.user + c.system) / total };
}

async function runOnce<S, Op>(type: ReplicatedType<S, Op>, op: (i: number) => Op, seed: number) {
  const { net, nodes, random } = await cluster(type, seed);
  const pick = () => nodes[random.int(nodes.length)]!;
  const key = (i: number) => `user-${(i * 7919) % CONFIG.keys}/cart`;
  // Warm-up (JIT, caches), not measured.
  await drive(Math.min(5_000, CONFIG.updates / 4), (i) => pick().update(key(i), op(i)));
  const m0 = net.stats.sent;
  const b0 = net.stats.bytes;
  const up = await drive(CONFIG.updates, (i) => pick().update(key(i), op(i)));
  const updates: Phase = {
    perSec: (CONFIG.updates / up.ms) * 1000,
    cpuUs: up.cpuUs,
    messages: (net.stats.sent - m0) / CONFIG.updates,
    bytes: (net.stats.bytes - b0) / CONFIG.updates,
  };
  const r0 = net.stats.sent;
  const rb0 = net.stats.bytes;
  const rd = await drive(CONFIG.reads, (i) => pick().get(key(i)));
  const reads: Phase = {
    perSec: (CONFIG.reads / rd.ms) * 1000,
    cpuUs: rd.cpuUs,
    messages: (net.stats.sent - r0) / CONFIG.reads,
    bytes: (net.stats.bytes - rb0) / CONFIG.reads,
  };
  // Promise hops per update: promises created while 2,000 more updates run (async_hooks slows
  // the process, so this phase is counted, not timed). The drive loop's own await is included.
  let promises = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === 'PROMISE') promises++;
    },
  }).enable();
  const HOPS_SAMPLE = 2_000;
  await drive(HOPS_SAMPLE, (i) => pick().update(key(i), op(i)));
  hook.disable();
  for (const n of nodes) await n.stop();
  return { updates, reads, promisesPerUpdate: promises / HOPS_SAMPLE };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function measure<S, Op>(label: string, type: ReplicatedType<S, Op>, op: (i: number) => Op) {
  const runs: Awaited<ReturnType<typeof runOnce>>[] = [];
  for (let r = 0; r < CONFIG.runs; r++) {
    const res = await runOnce(type, op, 1000 + r);
    log(
      `${label} run ${r + 1}/${CONFIG.runs}: ${Math.round(res.updates.perSec)} updates/s, ` +
        `${Math.round(res.reads.perSec)} reads/s, ${res.updates.messages.toFixed(2)} msgs/update, ` +
        `${res.updates.cpuUs.toFixed(1)} µs CPU/update, ${res.promisesPerUpdate.toFixed(1)} promises/update`,
    );
    runs.push(res);
  }
  return {
    updatesPerSec: Math.round(median(runs.map((r) => r.updates.perSec))),
    readsPerSec: Math.round(median(runs.map((r) => r.reads.perSec))),
    messagesPerUpdate: Number(median(runs.map((r) => r.updates.messages)).toFixed(2)),
    bytesPerUpdate: Math.round(median(runs.map((r) => r.updates.bytes))),
    messagesPerRead: Number(median(runs.map((r) => r.reads.messages)).toFixed(2)),
    bytesPerRead: Math.round(median(runs.map((r) => r.reads.bytes))),
    cpuUsPerUpdate: Number(median(runs.map((r) => r.updates.cpuUs)).toFixed(1)),
    cpuUsPerRead: Number(median(runs.map((r) => r.reads.cpuUs)).toFixed(1)),
    promisesPerUpdate: Number(median(runs.map((r) => r.promisesPerUpdate)).toFixed(1)),
  };
}

log(
  `replication bench: ${CONFIG.nodes} nodes, N=3 R=2 W=2, ${CONFIG.keys} keys, ${CONFIG.updates} updates, ` +
    `${CONFIG.reads} reads, ${CONFIG.concurrency} in flight, ${CONFIG.runs} run(s); ${os.cpus().length} CPUs, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
const core = await measure('g-counter', gCounterType, () => 'inc' as const);
const SKIP = {
  updatesPerSec: 0,
  readsPerSec: 0,
  messagesPerUpdate: 0,
  bytesPerUpdate: 0,
  messagesPerRead: 0,
  bytesPerRead: 0,
  cpuUsPerUpdate: 0,
  cpuUsPerRead: 0,
  promisesPerUpdate: 0,
};
const dotSet =
  args.core === true
    ? SKIP
    : await measure('dot-set', dotSetType, (i) => ({ type: 'add' as const, value: `v${i}` }));
const cart =
  args.core === true
    ? SKIP
    : await measure('cart', cartType, (i) =>
        i % 3 === 2
          ? { type: 'setQuantity' as const, productId: `p${i % 50}`, quantity: 1 + (i % 7) }
          : { type: 'add' as const, productId: `p${i % 50}`, quantity: 1 },
      );

const result = {
  updatesPerSec: core.updatesPerSec,
  readsPerSec: core.readsPerSec,
  messagesPerUpdate: core.messagesPerUpdate,
  bytesPerUpdate: core.bytesPerUpdate,
  details: {
    config: CONFIG,
    gCounter: core,
    dotSet,
    cart,
    targetUpdatesPerSec: 50_000,
    targetCartUpdatesPerSec: 25_000,
  },
};

const table = [
  '| type      | updates/s | reads/s | msgs/update | bytes/update | msgs/read | bytes/read | CPU µs/update | CPU µs/read | promises/update |',
  '|-----------|----------:|--------:|------------:|-------------:|----------:|-----------:|--------------:|------------:|----------------:|',
  ...(
    [
      ['g-counter', core],
      ['dot-set', dotSet],
      ['cart', cart],
    ] as const
  ).map(
    ([name, r]) =>
      `| ${name.padEnd(9)} | ${r.updatesPerSec} | ${r.readsPerSec} | ${r.messagesPerUpdate} | ${r.bytesPerUpdate} | ${r.messagesPerRead} | ${r.bytesPerRead} | ${r.cpuUsPerUpdate} | ${r.cpuUsPerRead} | ${r.promisesPerUpdate} |`,
  ),
  `target: >= 50,000 quorum updates/s (g-counter, protocol overhead): ${core.updatesPerSec >= 50_000 ? 'met' : 'NOT met'}`,
  ...(args.core === true
    ? []
    : [`target: >= 25,000 quorum updates/s (cart): ${cart.updatesPerSec >= 25_000 ? 'met' : 'NOT met'}`]),
].join('\n');

if (args.json === true) {
  log(table);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else process.stdout.write(`${table}\n`);
