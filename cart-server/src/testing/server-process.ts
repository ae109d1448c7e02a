/**
 * Real cart-server processes on loopback for black-box tests (exported as
 * `@cartwheel/cart-server/testing`; the cart server's and the sync client's tests use it). Run
 * from the sources (this file as TypeScript), a node is spawned from the sources too
 * (`node --conditions=@cartwheel/source --import tsx src/bin/cart-server.ts`), so tests never run a stale
 * dist/; from the published package, the built `dist/bin/cart-server.js`. Readiness is detected
 * from the "cart server listening" pino log line; every wait polls a condition with a generous
 * deadline (the CI box is loaded).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signToken } from '../auth/tokens.js';

export const TEST_SECRET = 'cart-server-test-secret-0123456789abcdef';
/** This package's directory (src/testing/ and dist/testing/ alike). */
const PACKAGE = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const ENTRY = FROM_SOURCE
  ? join(PACKAGE, 'src/bin/cart-server.ts')
  : join(PACKAGE, 'dist/bin/cart-server.js');
const LOADER = FROM_SOURCE ? ['--conditions=@cartwheel/source', '--import', 'tsx'] : [];

/** A loopback port free right now. */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface NodeSpec {
  readonly nodeId: string;
  readonly port: number;
}

export interface ServerProcess {
  readonly nodeId: string;
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  readonly output: () => string;
  /** Starts (or restarts) the process with the same id, port and data; a no-op while it runs. */
  start(): Promise<void>;
  /** SIGKILL: no drain, no flush — the crash case. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a clean exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  readonly running: () => boolean;
  /** SIGSTOP: the process freezes (timers, sockets, leases) until `resume` — a GC pause writ large. */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /** The running process's id (CPU accounting in benchmarks); undefined when not started. */
  readonly pid: () => number | undefined;
}

export interface ServerOptions {
  readonly nodeId?: string;
  readonly port?: number;
  readonly dataDir?: string;
  readonly peers?: readonly NodeSpec[];
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Flags for node itself, before the entry (e.g. `--cpu-prof`, not allowed in NODE_OPTIONS). */
  readonly nodeArgs?: readonly string[];
}

/** Fast replication timers so failover and catch-up happen within a test's patience. */
export const FAST_TIMERS = [
  '--heartbeat-interval-ms',
  '200',
  '--failure-timeout-ms',
  '1500',
  '--handoff-interval-ms',
  '300',
  '--aae-interval-ms',
  '500',
  '--request-timeout-ms',
  '5000', // generous: a loaded CI box must not turn a slow ack into a 503
];

const tempDirs: string[] = [];

export function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cartwheel-server-'));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export async function createServer(options: ServerOptions = {}): Promise<ServerProcess> {
  const nodeId = options.nodeId ?? 'n1';
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? tempDataDir();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<number | null> = Promise.resolve(null);
  let out = '';

  const start = async (): Promise<void> => {
    // Already running: nothing to do (a second process would find the data directory locked).
    if (child !== undefined && child.exitCode === null && child.signalCode === null) return;
    const args = [
      ...(options.nodeArgs ?? []),
      ...LOADER,
      ENTRY,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--node-id',
      nodeId,
      '--data-dir',
      dataDir,
      '--log-level',
      'info',
      ...(options.peers !== undefined && options.peers.length > 0
        ? ['--peers', options.peers.map((p) => `${p.nodeId}=http://127.0.0.1:${p.port}`).join(',')]
        : []),
      ...(options.args ?? []),
    ];
    const proc = spawn(process.execPath, args, {
      cwd: PACKAGE,
      // No SIGTERM grace period (no load balancer watches a test's /readyz); a test sets its own.
      env: {
        ...process.env,
        JWT_SECRET: TEST_SECRET,
        NODE_ENV: 'test',
        SHUTDOWN_GRACE_MS: '0',
        // A line per request would crowd the output tests search; a test turns it on in `env`.
        ACCESS_LOG: 'off',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    exited = new Promise((res) => proc.once('exit', (code) => res(code)));
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(
        () => rej(new Error(`${nodeId} did not start in 120 s:\n${out.slice(-4000)}`)),
        120_000,
      );
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        if (out.length > 2_000_000) out = out.slice(-1_000_000);
        if (out.includes('"cart server listening"')) {
          clearTimeout(timer);
          res();
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', (c: Buffer) => {
        out += c.toString();
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        rej(new Error(`${nodeId} exited with ${code} before listening:\n${out.slice(-4000)}`));
      });
    });
  };

  return {
    nodeId,
    port,
    url,
    dataDir,
    output: () => out,
    start,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    kill: async () => {
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child === undefined || child.exitCode !== null || child.signalCode !== null)
        return child?.exitCode ?? null;
      child.kill('SIGTERM');
      return exited;
    },
    pause: () => {
      if (child === undefined || child.exitCode !== null || child.signalCode !== null)
        throw new Error(`${nodeId} is not running`);
      child.kill('SIGSTOP');
    },
    resume: () => {
      child?.kill('SIGCONT');
    },
    pid: () => child?.pid,
  };
}

/** Creates and starts `count` nodes that know each other (ports picked up front); kills all on a failed start. */
async function startPeers(
  count: number,
  options: (spec: NodeSpec, index: number, peers: NodeSpec[]) => ServerOptions,
): Promise<ServerProcess[]> {
  const specs: NodeSpec[] = [];
  for (let i = 1; i <= count; i++) specs.push({ nodeId: `n${i}`, port: await freePort() });
  const nodes = await Promise.all(
    specs.map((s, i) =>
      createServer({
        nodeId: s.nodeId,
        port: s.port,
        ...options(
          s,
          i,
          specs.filter((p) => p !== s),
        ),
      }),
    ),
  );
  try {
    await Promise.all(nodes.map((n) => n.start()));
  } catch (err) {
    await Promise.all(nodes.map((n) => n.kill()));
    throw err;
  }
  return nodes;
}

/** Starts `count` nodes that know each other, carts only (`--platform off`), each with its own data. */
export function createCluster(count: number, args: readonly string[] = []): Promise<ServerProcess[]> {
  // Carts only: the catalog/orders adapters have their own tests and would slow every start.
  return startPeers(count, (_, __, peers) => ({
    peers,
    args: [...FAST_TIMERS, '--platform', 'off', ...args],
  }));
}

export interface ShopClusterOptions {
  readonly count?: number;
  /** The Redis every node shares (order log and state, product cache, search, popularity). */
  readonly redisUrl: string;
  /** Flags for every node (after `--redis-url`). */
  readonly args?: readonly string[];
  /** Node (not server) flags per node, e.g. `--inspect`. */
  readonly nodeArgs?: (index: number) => readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * One shop on `count` nodes (default 3) with the platform on: one data root (each node's LevelDB
 * in `<dataDir>/<nodeId>`, the confirmations in `<dataDir>/outbox-mail`) and one Redis — as
 * `npm run cluster` runs it, without PostgreSQL (every node seeds the same demo catalog).
 */
export async function createShopCluster(
  options: ShopClusterOptions,
): Promise<{ nodes: ServerProcess[]; dataDir: string }> {
  const dataDir = tempDataDir();
  const nodes = await startPeers(options.count ?? 3, (_, index, peers) => ({
    peers,
    dataDir,
    args: ['--redis-url', options.redisUrl, ...(options.args ?? [])],
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.nodeArgs === undefined ? {} : { nodeArgs: options.nodeArgs(index) }),
  }));
  return { nodes, dataDir };
}

export function token(
  sub: string,
  extra: { act?: string; role?: 'user' | 'seller' | 'admin' } = {},
): Promise<string> {
  return signToken(TEST_SECRET, {
    sub,
    role: extra.role ?? 'user',
    ...(extra.act === undefined ? {} : { act: extra.act }),
  });
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`, { cause: last });
    await new Promise((r) => setTimeout(r, 100));
  }
}

export type Api = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<{
  status: number;
  json: unknown;
  headers: Headers;
}>;

/** A tiny JSON client bound to one base URL and bearer token. */
export function api(baseUrl: string, bearer?: string): Api {
  return async (method, path, body, headers = {}) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON (e.g. /metrics)
    }
    return { status: res.status, json, headers: res.headers };
  };
}

/**
 * Runs a command to its exit and answers its exit code with stdout and stderr interleaved; kills
 * it (SIGKILL) and rejects after `timeoutMs` (a README example that never exits).
 */
export function runToExit(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: Readonly<Record<string, string>>; timeoutMs?: number } = {},
): Promise<{ code: number | null; out: string }> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const collect = (chunk: Buffer): void => {
      out += chunk.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${command} did not exit within ${timeoutMs / 1000} s:\n${out}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, out });
    });
  });
}
