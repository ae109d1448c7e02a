/**
 * `npm run bench:server [-- --json] [-- --duration 10 --connections 50 --fsync always|never]
 *   [-- --cases hello,add,...] [-- --cpu-prof DIR]`
 *
 * autocannon in one run against (a) a bare hono hello-world, (b) single-node cart add, (c)
 * single-node cart get, (d) cost per change: add, set-quantity and remove (alternating with the
 * re-add) on 1-line carts and on 500-line carts (499 lines with metadata merged from a device, plus
 * the line the case changes), (e) a 3-node cluster (N=3, R=2, W=2) cart add. Every server is its
 * own process on loopback, started from source like the tests. Reports req/s, p50/p99 latency,
 * bytes per response and each as a ratio of (a), and each 500-line figure as a ratio of its
 * 1-line figure. Targets (issue 5): add ≥ 50% of hello with p99 ≤ 20 ms at 50 connections;
 * cluster add ≥ 20% of hello; (issue 12) every 500-line figure ≥ 0.8 × its 1-line figure.
 * `--cpu-prof DIR` runs the cart servers under `node --cpu-prof` and writes their profiles there
 * (on the graceful stop after the last case of each server).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Cart, CausalContext, encodeCartDelta } from '@cartwheel/crdt';
import { signToken } from '../src/auth/tokens.js';

// autocannon ships no types: the little we use, typed here.
interface AcRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}
interface AcOptions {
  url: string;
  duration?: number;
  connections?: number;
  requests?: { setupRequest: (req: AcRequest) => AcRequest }[];
}
interface AcResult {
  requests: { average: number };
  throughput: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (o: AcOptions) => Promise<AcResult>;

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    fsync: { type: 'string', default: 'always' },
    cases: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});
const ALL_CASES = [
  'hello',
  'add',
  'get',
  'add1',
  'set1',
  'remove1',
  'add500',
  'set500',
  'remove500',
  'clusterAdd',
] as const;
type CaseName = (typeof ALL_CASES)[number];
const selected = new Set<string>(values.cases === undefined ? ALL_CASES : values.cases.split(','));
for (const c of selected) {
  if (!(ALL_CASES as readonly string[]).includes(c))
    throw new Error(`unknown case ${c}: ${ALL_CASES.join(', ')}`);
}
const cpuProfDir = values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']);
const duration = Number(values.duration);
const connections = Number(values.connections);
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SECRET = 'bench-secret-bench-secret-bench-secret';
const children: ChildProcess[] = [];
const dirs: string[] = [];

interface Result {
  reqPerSec: number;
  /** Server CPU time (all its processes) per request, µs. */
  cpuUsPerRequest: number;
  p50Ms: number;
  p99Ms: number;
  /** Average bytes per response (headers included), from autocannon's throughput. */
  bytesPerResponse: number;
  ratio: number;
  non2xx: number;
  errors: number;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a !== null && typeof a !== 'string' ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

function startProcess(
  args: string[],
  ready: RegExp,
  nodeFlags: string[] = [],
): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(
    process.execPath,
    [...nodeFlags, '--conditions=@cartwheel/source', '--import', 'tsx', ...args],
    {
      cwd: ROOT,
      env: { ...process.env, JWT_SECRET: SECRET, NODE_ENV: 'production', SHUTDOWN_GRACE_MS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let out = '';
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`not ready in 90 s: ${out.slice(-2000)}`)), 90_000);
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = out.match(ready);
      if (m !== null) {
        clearTimeout(timer);
        res({ child, match: m });
      }
    });
    child.stderr?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.once('exit', (code) => rej(new Error(`exited ${code}: ${out.slice(-2000)}`)));
  });
}

async function startNodes(count: number): Promise<string[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cartwheel-bench-'));
  dirs.push(dataDir);
  const ports = await Promise.all(Array.from({ length: count }, freePort));
  await Promise.all(
    ports.map((port, i) => {
      const peers = ports
        .map((p, j) => (j === i ? undefined : `n${j + 1}=http://127.0.0.1:${p}`))
        .filter((p) => p !== undefined)
        .join(',');
      return startProcess(
        [
          'cart-server/src/bin/cart-server.ts',
          '--node-id',
          `n${i + 1}`,
          '--port',
          String(port),
          '--data-dir',
          dataDir,
          '--fsync',
          String(values.fsync),
          '--platform',
          'off',
          '--log-level',
          'info', // no per-request logs; the "listening" line is info
          ...(count > 1 ? ['--peers', peers, '--n', '3', '--r', '2', '--w', '2'] : []),
        ],
        /"cart server listening"/,
        cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', cpuProfDir],
      );
    }),
  );
  // And ready to serve.
  for (const port of ports) {
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return ports.map((p) => `http://127.0.0.1:${p}`);
}

/**
 * CPU seconds (user + system) the server processes have used so far, from /proc (Linux; NaN
 * elsewhere). Per request it is the figure a loaded machine distorts least: req/s there measures
 * the share of the cores the server got, CPU per request what each request cost.
 */
function serverCpuSeconds(): number {
  let ticks = 0;
  for (const c of children) {
    try {
      // fields after the command name: state is field 3, utime 14, stime 15 (proc(5))
      const stat = readFileSync(`/proc/${c.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return Number.NaN;
    }
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

async function run(name: string, opts: AcOptions): Promise<Omit<Result, 'ratio'>> {
  process.stderr.write(`bench:server: ${name} (${duration}s, ${connections} connections)\n`);
  // Short warm-up (JIT, LevelDB caches), not measured.
  await autocannon({ ...opts, duration: Math.min(2, duration), connections });
  const cpuBefore = serverCpuSeconds();
  const r = await autocannon({ ...opts, duration, connections });
  const cpu = serverCpuSeconds() - cpuBefore;
  const requests = r.requests.average * duration;
  return {
    reqPerSec: Math.round(r.requests.average),
    cpuUsPerRequest: requests > 0 ? Math.round((cpu * 1e6) / requests) : Number.NaN,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    bytesPerResponse: r.requests.average > 0 ? Math.round(r.throughput.average / r.requests.average) : 0,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

function authHeaders(token: string, headers: Record<string, string> | undefined): Record<string, string> {
  return { ...headers, authorization: `Bearer ${token}`, 'content-type': 'application/json' };
}

function cartRequests(token: string, kind: 'add' | 'get'): AcOptions['requests'] & object {
  // 1,000 carts of one user, 20 products: every request a realistic small-cart operation.
  let n = 0;
  return [
    {
      setupRequest: (req) => {
        n++;
        const cart = `c${n % 1000}`;
        const headers = authHeaders(token, req.headers);
        if (kind === 'get') return { ...req, method: 'GET', path: `/v1/carts/${cart}`, headers };
        return {
          ...req,
          method: 'POST',
          path: `/v1/carts/${cart}/items`,
          headers,
          body: JSON.stringify({ productId: `p${n % 20}`, quantity: 1 }),
        };
      },
    },
  ];
}

/** Carts per size class: more than connections, so two requests rarely wait on one cart's lock. */
const CHANGE_CARTS = 100;
/** The one line every cost-per-change request changes. */
const HOT = 'hot-product';

/**
 * Cost per change: one op on line HOT of `${prefix}${i}`. `remove` alternates per cart between
 * removing the line and adding it back, so every remove removes a present line and the cart keeps
 * its size; its figure is the mix.
 */
function changeRequests(
  token: string,
  prefix: string,
  kind: 'add' | 'set' | 'remove',
): AcOptions['requests'] & object {
  let n = 0;
  const present = new Array<boolean>(CHANGE_CARTS).fill(true);
  return [
    {
      setupRequest: (req) => {
        n++;
        const i = n % CHANGE_CARTS;
        const headers = authHeaders(token, req.headers);
        const items = `/v1/carts/${prefix}${i}/items`;
        if (kind === 'set') {
          const body = JSON.stringify({ quantity: 1 + (n % 5) });
          return { ...req, method: 'PUT', path: `${items}/${HOT}`, headers, body };
        }
        if (kind === 'remove' && present[i]) {
          present[i] = false;
          return { ...req, method: 'DELETE', path: `${items}/${HOT}`, headers };
        }
        present[i] = true;
        return {
          ...req,
          method: 'POST',
          path: items,
          headers,
          body: JSON.stringify({ productId: HOT, quantity: 1 }),
        };
      },
    },
  ];
}

async function call(
  url: string,
  method: string,
  path: string,
  bearer: string,
  body?: unknown,
): Promise<unknown> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: authHeaders(bearer, undefined),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/**
 * Preloads CHANGE_CARTS carts `${prefix}i` with `extra` lines carrying metadata (one device delta
 * per cart: ~75 bytes of JSON per line, like the 490-line cart of 37.7 KB) plus line HOT.
 */
async function preloadCarts(url: string, token: string, prefix: string, extra: number): Promise<void> {
  let device: { actor: string; token: string } | undefined;
  if (extra > 0) device = (await call(url, 'POST', '/v1/devices', token, { name: 'bench' })) as typeof device;
  const load = async (i: number): Promise<void> => {
    if (device !== undefined) {
      const cart = Cart.create({ actor: device.actor });
      for (let k = 0; k < extra; k++) {
        const productId = `sku-${String(k).padStart(5, '0')}`;
        cart.add(productId, 1 + (k % 3), {
          title: `Product ${k} of the catalog`,
          priceMinor: 999 + k,
          currency: 'EUR',
        });
      }
      const delta = Buffer.from(encodeCartDelta(cart.deltaSince(new CausalContext()))).toString('base64');
      await call(url, 'POST', `/v1/carts/${prefix}${i}/merge`, device.token, { delta });
    }
    await call(url, 'POST', `/v1/carts/${prefix}${i}/items`, token, { productId: HOT, quantity: 1 });
  };
  for (let i = 0; i < CHANGE_CARTS; i += 10) {
    await Promise.all(Array.from({ length: Math.min(10, CHANGE_CARTS - i) }, (_, k) => load(i + k)));
  }
  const sample = (await call(url, 'GET', `/v1/carts/${prefix}0`, token)) as { lines: unknown[] };
  if (sample.lines.length !== extra + 1)
    throw new Error(`preload: ${prefix}0 has ${sample.lines.length} lines`);
}

/** SIGTERM (graceful: a --cpu-prof profile is written on the clean exit) and wait for the exit. */
async function stopAll(): Promise<void> {
  await Promise.all(
    children.splice(0).map(
      (c) =>
        new Promise<void>((res) => {
          if (c.exitCode !== null || c.signalCode !== null) return res();
          c.once('exit', () => res());
          c.kill('SIGTERM');
        }),
    ),
  );
}

async function main(): Promise<void> {
  const token = await signToken(SECRET, { sub: 'bench', role: 'user' }, { ttlSeconds: 3600 });
  const raw: Partial<Record<CaseName, Omit<Result, 'ratio'>>> = {};
  const want = (c: CaseName): boolean => selected.has(c);

  const hello = await startProcess(['cart-server/bench/hello-server.ts'], /listening (\d+)/);
  const helloUrl = `http://127.0.0.1:${hello.match[1]}`;
  raw.hello = await run('hello', { url: helloUrl });
  await stopAll();

  const single = ALL_CASES.filter((c) => c !== 'hello' && c !== 'clusterAdd' && want(c));
  if (single.length > 0) {
    const [url] = await startNodes(1);
    if (want('add'))
      raw.add = await run('single-node add', { url: url!, requests: cartRequests(token, 'add') });
    if (want('get'))
      raw.get = await run('single-node get', { url: url!, requests: cartRequests(token, 'get') });
    for (const [size, prefix, extra] of [
      ['1', 's', 0],
      ['500', 'b', 499],
    ] as const) {
      const cases = (['add', 'set', 'remove'] as const).filter((k) => want(`${k}${size}`));
      if (cases.length === 0) continue;
      await preloadCarts(url!, token, prefix, extra);
      for (const k of cases) {
        raw[`${k}${size}`] = await run(`single-node ${k}, ${size}-line carts`, {
          url: url!,
          requests: changeRequests(token, prefix, k),
        });
      }
    }
    await stopAll();
  }

  if (want('clusterAdd')) {
    const cluster = await startNodes(3);
    // Let the peers see each other before measuring.
    await new Promise((r) => setTimeout(r, 2000));
    raw.clusterAdd = await run('3-node cluster add', {
      url: cluster[0]!,
      requests: cartRequests(token, 'add'),
    });
    await stopAll();
  }

  const base = raw.hello!.reqPerSec;
  const results: Partial<Record<CaseName, Result>> = {};
  for (const c of ALL_CASES) {
    const r = raw[c];
    if (r !== undefined) results[c] = { ...r, ratio: Math.round((r.reqPerSec / base) * 1000) / 1000 };
  }
  // hello's CPU per request over the case's: the throughput ratio a machine with spare cores
  // would show if both are CPU-bound (the load-independent reading of `ratio`)
  const cpuRatio = (r: Result): number => results.hello!.cpuUsPerRequest / r.cpuUsPerRequest;
  const perCart: Record<string, number> = {};
  const perCartCpu: Record<string, number> = {};
  for (const k of ['add', 'set', 'remove'] as const) {
    const small = results[`${k}1`];
    const big = results[`${k}500`];
    if (small === undefined || big === undefined) continue;
    perCart[k] = Math.round((big.reqPerSec / small.reqPerSec) * 1000) / 1000;
    perCartCpu[k] = Math.round((small.cpuUsPerRequest / big.cpuUsPerRequest) * 1000) / 1000;
  }
  if (values.json) {
    const shape = Object.fromEntries(
      Object.entries(results).map(([k, r]) => [
        k,
        {
          reqPerSec: r.reqPerSec,
          cpuUsPerRequest: r.cpuUsPerRequest,
          p50Ms: r.p50Ms,
          p99Ms: r.p99Ms,
          bytesPerResponse: r.bytesPerResponse,
          ratio: r.ratio,
        },
      ]),
    );
    process.stdout.write(
      `${JSON.stringify({ ...shape, ratio500to1: perCart, cpuRatio500to1: perCartCpu })}\n`,
    );
    return;
  }
  const rows = Object.entries(results).map(
    ([k, r]) =>
      `| ${k.padEnd(10)} | ${String(r.reqPerSec).padStart(8)} | ${r.p50Ms.toFixed(1).padStart(7)} | ${r.p99Ms.toFixed(1).padStart(7)} | ${String(r.bytesPerResponse).padStart(8)} | ${String(r.cpuUsPerRequest).padStart(7)} | ${r.ratio.toFixed(3).padStart(6)} | ${cpuRatio(r).toFixed(3).padStart(6)} | ${String(r.non2xx + r.errors).padStart(6)} |`,
  );
  const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  const targets: string[] = [];
  if (results.add !== undefined)
    targets.push(
      `add ≥ 0.50 with p99 ≤ 20 ms → ${verdict(results.add.ratio >= 0.5 && results.add.p99Ms <= 20)}`,
    );
  if (results.clusterAdd !== undefined)
    targets.push(`clusterAdd ≥ 0.20 → ${verdict(results.clusterAdd.ratio >= 0.2)}`);
  for (const [k, ratio] of Object.entries(perCart))
    targets.push(
      `${k} 500-line / 1-line ${ratio.toFixed(3)} (by CPU ${perCartCpu[k]!.toFixed(3)}) ≥ 0.8 → ${verdict(ratio >= 0.8)}`,
    );
  process.stdout.write(
    [
      `bench:server — autocannon, ${connections} connections, ${duration} s per case, fsync ${values.fsync} (node ${process.version}, load ${loadavg()[0]!.toFixed(1)} after the run)`,
      "CPU µs: server CPU per request; CPU r.: hello CPU per request / this case's (the ratio without contention)",
      '| case       |    req/s | p50 ms  | p99 ms  |  B/resp  | CPU µs  | ratio  | CPU r. | errors |',
      '|------------|----------|---------|---------|----------|---------|--------|--------|--------|',
      ...rows,
      `targets: ${targets.join('; ')}`,
      '',
    ].join('\n'),
  );
}

function cleanup(): void {
  for (const c of children) c.kill('SIGTERM');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

main().then(
  () => {
    cleanup();
    process.exit(0);
  },
  (err: unknown) => {
    cleanup();
    process.stderr.write(`bench:server failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
