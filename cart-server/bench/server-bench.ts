/**
 * `npm run bench:server [-- --json] [-- --duration 10 --connections 50 --fsync always|never]`
 *
 * autocannon in one run against (a) a bare hono hello-world, (b) single-node cart add, (c)
 * single-node cart get, (d) a 3-node cluster (N=3, R=2, W=2) cart add. Every server is its own
 * process on loopback, started from source like the tests. Reports req/s, p50/p99 latency and
 * each as a ratio of (a). Targets (issue 5): add ≥ 50% of hello with p99 ≤ 20 ms at 50
 * connections; cluster add ≥ 20% of hello.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
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
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SECRET = 'bench-secret-bench-secret-bench-secret';
const children: ChildProcess[] = [];
const dirs: string[] = [];

interface Result {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
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
): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', ...args], {
    cwd: ROOT,
    env: { ...process.env, JWT_SECRET: SECRET, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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

async function run(name: string, opts: AcOptions): Promise<Omit<Result, 'ratio'>> {
  process.stderr.write(`bench:server: ${name} (${duration}s, ${connections} connections)\n`);
  // Short warm-up (JIT, LevelDB caches), not measured.
  await autocannon({ ...opts, duration: Math.min(2, duration), connections });
  const r = await autocannon({ ...opts, duration, connections });
  return {
    reqPerSec: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

function cartRequests(token: string, kind: 'add' | 'get'): AcOptions['requests'] & object {
  // 1,000 carts of one user, 20 products: every request a realistic small-cart operation.
  let n = 0;
  return [
    {
      setupRequest: (req) => {
        n++;
        const cart = `c${n % 1000}`;
        const headers = {
          ...req.headers,
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
        };
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

async function main(): Promise<void> {
  const token = await signToken(SECRET, { sub: 'bench', role: 'user' }, { ttlSeconds: 3600 });
  const hello = await startProcess(['cart-server/bench/hello-server.ts'], /listening (\d+)/);
  const helloUrl = `http://127.0.0.1:${hello.match[1]}`;
  const rHello = await run('hello', { url: helloUrl });
  hello.child.kill('SIGTERM');

  const [single] = await startNodes(1);
  const rAdd = await run('single-node add', { url: single!, requests: cartRequests(token, 'add') });
  const rGet = await run('single-node get', { url: single!, requests: cartRequests(token, 'get') });
  for (const c of children.splice(0)) c.kill('SIGTERM');

  const cluster = await startNodes(3);
  // Let the peers see each other before measuring.
  await new Promise((r) => setTimeout(r, 2000));
  const rCluster = await run('3-node cluster add', {
    url: cluster[0]!,
    requests: cartRequests(token, 'add'),
  });

  const base = rHello.reqPerSec;
  const withRatio = (r: Omit<Result, 'ratio'>): Result => ({
    ...r,
    ratio: Math.round((r.reqPerSec / base) * 1000) / 1000,
  });
  const results = {
    hello: withRatio(rHello),
    add: withRatio(rAdd),
    get: withRatio(rGet),
    clusterAdd: withRatio(rCluster),
  };
  if (values.json) {
    const shape = Object.fromEntries(
      Object.entries(results).map(([k, r]) => [
        k,
        { reqPerSec: r.reqPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms, ratio: r.ratio },
      ]),
    );
    process.stdout.write(`${JSON.stringify(shape)}\n`);
  } else {
    const rows = Object.entries(results).map(
      ([k, r]) =>
        `| ${k.padEnd(10)} | ${String(r.reqPerSec).padStart(8)} | ${r.p50Ms.toFixed(1).padStart(7)} | ${r.p99Ms.toFixed(1).padStart(7)} | ${r.ratio.toFixed(3).padStart(6)} | ${String(r.non2xx + r.errors).padStart(6)} |`,
    );
    process.stdout.write(
      [
        `bench:server — autocannon, ${connections} connections, ${duration} s per case, fsync ${values.fsync} (node ${process.version})`,
        '| case       |    req/s | p50 ms  | p99 ms  | ratio  | errors |',
        '|------------|----------|---------|---------|--------|--------|',
        ...rows,
        `targets: add ≥ 0.50 with p99 ≤ 20 ms → ${results.add.ratio >= 0.5 && results.add.p99Ms <= 20 ? 'met' : 'NOT met'}; ` +
          `clusterAdd ≥ 0.20 → ${results.clusterAdd.ratio >= 0.2 ? 'met' : 'NOT met'}`,
        '',
      ].join('\n'),
    );
  }
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
