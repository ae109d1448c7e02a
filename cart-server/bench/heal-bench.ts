/**
 * `npm run bench:heal [-- --runs 3] [-- --json]`
 *
 * How long a restarted node takes to catch up, with no client read (issue 12, "healing in
 * seconds"): three real cart-server processes on loopback with LevelDB (fsync always), N=3 — so
 * no fallback node exists for a down primary — and the production replication timers (heartbeat
 * 1 s, failure timeout 5 s, handoff 2 s, AAE 5 s). Each run: SIGKILL n1, wait until n2 and n3
 * mark it down, add `--writes` items across `--carts` carts through n2 and n3 (every one
 * acknowledged), restart n1, then poll each node's local replicas (the admin view, no quorum read)
 * until n1's equal the others'. Prints the time from the restart (process spawned) and from n1
 * listening, with the anti-entropy and hint settings. Target: ≤ 10 s for 60 writes across 3 carts.
 * Progress goes to stderr, the result table (or JSON) to stdout.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_REPLICATION_CONFIG } from '@cartwheel/crdt';
import { freePort } from '../test/support/redis.js';
import {
  api,
  createServer,
  removeTempDirs,
  type ServerProcess,
  token,
} from '../test/support/server-process.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    writes: { type: 'string', default: '60' },
    carts: { type: 'string', default: '3' },
    'max-wait-s': { type: 'string', default: '600' },
    'aae-interval-ms': { type: 'string', default: '5000' },
    json: { type: 'boolean', default: false },
  },
});
function positiveInt(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(`bench:heal: --${name} must be a positive integer, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}
const RUNS = positiveInt('runs', values.runs);
const WRITES = positiveInt('writes', values.writes);
const CARTS = positiveInt('carts', values.carts);
const MAX_WAIT_MS = positiveInt('max-wait-s', values['max-wait-s']) * 1000;
const AAE_INTERVAL_MS = positiveInt('aae-interval-ms', values['aae-interval-ms']);
const USER = 'heal-bench';

const log = (msg: string): void => {
  process.stderr.write(`[bench:heal] ${msg}\n`);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The server's replication settings (cart-server passes the AAE interval; the rest are the core's defaults). */
const SETTINGS = {
  heartbeatIntervalMs: 1000,
  failureTimeoutMs: 5000,
  handoffIntervalMs: 2000,
  aae: {
    ...DEFAULT_REPLICATION_CONFIG.aae,
    intervalMs: AAE_INTERVAL_MS,
    maxKeysPerExchange: 256,
  },
  maxHints: (DEFAULT_REPLICATION_CONFIG as { maxHints?: number }).maxHints,
};

interface Status {
  members: { node: string; up: boolean }[];
  counters: Record<string, number>;
  hintBacklog: number;
}

async function status(node: ServerProcess): Promise<Status> {
  const res = await api(node.url)('GET', '/v1/cluster/status');
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return res.json as Status;
}

interface LocalView {
  lines: { productId: string }[];
  /** One entry per vnode the node serves for the cart (older servers: absent). */
  replicas?: { partition: number; lines: { productId: string }[] }[];
}

/** The sorted product ids of each local replica of a cart on `node` (admin view, no quorum read). */
async function localReplicas(node: ServerProcess, cartId: string, bearer: string): Promise<string[]> {
  const res = await api(node.url, bearer)('GET', `/v1/admin/carts/${USER}/${cartId}/local`);
  if (res.status !== 200) throw new Error(`local view ${res.status}`);
  const view = res.json as LocalView;
  const ids = (lines: { productId: string }[]) => JSON.stringify(lines.map((l) => l.productId).sort());
  return view.replicas === undefined ? [ids(view.lines)] : view.replicas.map((r) => ids(r.lines));
}

/** Polls `probe` every 50 ms until it holds; throws after `timeoutMs`. */
async function until(probe: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const start = Date.now();
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // a node not answering yet: poll again
    }
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

interface RunResult {
  run: number;
  healFromSpawnMs: number;
  healFromListeningMs: number;
  startupMs: number;
  n1Counters: Record<string, number>;
  peerCounters: Record<string, number>;
}

async function oneRun(run: number): Promise<RunResult> {
  const specs = await Promise.all(
    ['n1', 'n2', 'n3'].map(async (nodeId) => ({ nodeId, port: await freePort() })),
  );
  const nodes = specs.map((s) =>
    createServer({
      nodeId: s.nodeId,
      port: s.port,
      peers: specs.filter((p) => p !== s),
      args: ['--platform', 'off', '--aae-interval-ms', String(AAE_INTERVAL_MS), '--fsync', 'always'],
    }),
  );
  const [n1, n2, n3] = (await Promise.all(nodes)) as [ServerProcess, ServerProcess, ServerProcess];
  const all = [n1, n2, n3];
  try {
    log(`run ${run}: starting 3 nodes`);
    await Promise.all(all.map((n) => n.start()));
    await until(
      async () => {
        for (const n of all) if (!(await status(n)).members.every((m) => m.up)) return false;
        return true;
      },
      'every member up',
      60_000,
    );
    const bearer = await token(USER);
    const admin = await token('ops', { role: 'admin' });
    log(`run ${run}: SIGKILL n1, waiting until n2 and n3 mark it down`);
    await n1.kill();
    await until(
      async () => {
        for (const n of [n2, n3])
          if ((await status(n)).members.find((m) => m.node === 'n1')?.up !== false) return false;
        return true;
      },
      'n1 marked down',
      60_000,
    );
    const written = new Map<string, string[]>();
    for (let c = 0; c < CARTS; c++) written.set(`heal-${c}`, []);
    const writers = [api(n2.url, bearer), api(n3.url, bearer)];
    for (let i = 0; i < WRITES; i++) {
      const cartId = `heal-${i % CARTS}`;
      const productId = `p${i}`;
      const res = await writers[i % 2]!('POST', `/v1/carts/${cartId}/items`, { productId });
      if (res.status !== 200)
        throw new Error(`write ${i} answered ${res.status}: ${JSON.stringify(res.json)}`);
      written.get(cartId)!.push(productId);
    }
    log(`run ${run}: ${WRITES} writes acknowledged across ${CARTS} carts; restarting n1`);
    const spawnedAt = Date.now();
    await n1.start();
    const listeningAt = Date.now();
    let lastReport = listeningAt;
    await until(
      async () => {
        let ok = true;
        for (const [cartId, products] of written) {
          const want = JSON.stringify([...products].sort());
          // n1 serves the cart, and every local replica anywhere holds exactly the acknowledged adds
          // (a node that is no replica of the cart serves none).
          const [mine, ...others] = await Promise.all(all.map((n) => localReplicas(n, cartId, admin)));
          if (mine!.length === 0 || ![mine!, ...others].flat().every((v) => v === want)) ok = false;
        }
        if (!ok && Date.now() - lastReport > 5_000) {
          lastReport = Date.now();
          const s = await Promise.all(all.map(status));
          log(
            `run ${run}: ${Math.round((Date.now() - listeningAt) / 1000)} s, not yet: ` +
              s
                .map(
                  (x, i) =>
                    `n${i + 1} hints=${x.hintBacklog} aaeExchanges=${x.counters.aaeExchanges} aaeRepairs=${x.counters.aaeRepairs}`,
                )
                .join(', '),
          );
        }
        return ok;
      },
      "n1's local replicas to equal the others'",
      MAX_WAIT_MS,
    );
    const healedAt = Date.now();
    const [s1, s2, s3] = await Promise.all(all.map(status));
    const pick = (s: Status): Record<string, number> =>
      Object.fromEntries(
        ['gets', 'aaeExchanges', 'aaeRepairs', 'hintsRecorded', 'hintsDelivered', 'handoffItemsSent'].map(
          (k) => [k, s.counters[k] ?? 0],
        ),
      );
    const sum = (a: Record<string, number>, b: Record<string, number>) =>
      Object.fromEntries(Object.keys(a).map((k) => [k, (a[k] ?? 0) + (b[k] ?? 0)]));
    const result: RunResult = {
      run,
      healFromSpawnMs: healedAt - spawnedAt,
      healFromListeningMs: healedAt - listeningAt,
      startupMs: listeningAt - spawnedAt,
      n1Counters: pick(s1!),
      peerCounters: sum(pick(s2!), pick(s3!)),
    };
    log(
      `run ${run}: healed ${result.healFromSpawnMs} ms after the restart (${result.healFromListeningMs} ms after listening)`,
    );
    return result;
  } finally {
    for (const n of all) await n.kill();
    removeTempDirs();
  }
}

const results: RunResult[] = [];
for (let r = 1; r <= RUNS; r++) results.push(await oneRun(r));

if (values.json) {
  console.log(JSON.stringify({ settings: SETTINGS, writes: WRITES, carts: CARTS, results }, null, 2));
} else {
  console.log(
    `bench:heal — 3 nodes, N=3, ${WRITES} writes across ${CARTS} carts while n1 is down, no client reads`,
  );
  console.log(
    `settings: heartbeat ${SETTINGS.heartbeatIntervalMs} ms, failure timeout ${SETTINGS.failureTimeoutMs} ms, ` +
      `handoff ${SETTINGS.handoffIntervalMs} ms, AAE interval ${SETTINGS.aae.intervalMs} ms, ` +
      `${SETTINGS.aae.maxKeysPerExchange} keys/exchange, catch-up ${
        (SETTINGS.aae as { catchUpExchangesPerSecond?: number }).catchUpExchangesPerSecond ?? 'n/a'
      } exchanges/s × ${(SETTINGS.aae as { maxConcurrentExchanges?: number }).maxConcurrentExchanges ?? 'n/a'} in flight, ` +
      `maxHints ${SETTINGS.maxHints ?? 'n/a'}`,
  );
  console.log(
    'run | heal from restart (ms) | from listening (ms) | n1 startup (ms) | hints delivered | AAE repairs',
  );
  for (const r of results) {
    console.log(
      `${r.run} | ${r.healFromSpawnMs} | ${r.healFromListeningMs} | ${r.startupMs} | ${r.peerCounters.hintsDelivered} | ${
        (r.peerCounters.aaeRepairs ?? 0) + (r.n1Counters.aaeRepairs ?? 0)
      }`,
    );
  }
}
