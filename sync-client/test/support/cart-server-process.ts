/**
 * A real cart-server process for the end-to-end tests, spawned from the cart server's sources
 * (`node --conditions=source --import tsx cart-server/src/bin/cart-server.ts`) on a free loopback
 * port with a private data directory; killable (SIGKILL) and restartable on the same port/data.
 * Readiness is the "cart server listening" log line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_DIR } from '../../scripts/bundle.js';
import { signDevToken } from '../../scripts/dev-token.js';

export const E2E_SECRET = 'sync-client-e2e-secret-0123456789abcdef';
const ROOT = join(PACKAGE_DIR, '..');
const ENTRY = join(ROOT, 'cart-server', 'src', 'bin', 'cart-server.ts');

export interface CartServerProcess {
  readonly url: string;
  readonly port: number;
  start(): Promise<void>;
  /** SIGKILL, no drain: the crash case. */
  kill(): Promise<void>;
  output(): string;
  /** Kills the process and removes its data directory. */
  dispose(): Promise<void>;
  /** A user JWT this server accepts. */
  userToken(userId: string): string;
  /** GET /v1/carts/:cartId as the user: "productId×quantity" per line. */
  cartLines(userId: string, cartId: string): Promise<string[]>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A user JWT for this secret (HS256), as the cart server's `dev-token` signs it. */
function userJwt(userId: string): string {
  return signDevToken(userId, E2E_SECRET);
}

export async function startCartServer(
  options: {
    storefrontDir?: string;
    args?: readonly string[];
    /** Reserve the port and data directory but start later (`start()`): the server-down case. */
    deferStart?: boolean;
  } = {},
): Promise<CartServerProcess> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-e2e-server-'));
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let out = '';

  const start = async (): Promise<void> => {
    const args = [
      '--conditions=source',
      '--import',
      'tsx',
      ENTRY,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
    ];
    args.push('--node-id', 'n1', '--data-dir', dataDir, '--log-level', 'info');
    if (options.storefrontDir !== undefined) args.push('--storefront-dir', options.storefrontDir);
    args.push(...(options.args ?? []));
    const proc = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, JWT_SECRET: E2E_SECRET, NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`cart server did not start in 90 s:\n${out.slice(-3000)}`)),
        90_000,
      );
      const onData = (chunk: Buffer) => {
        out = (out + chunk.toString()).slice(-500_000);
        if (out.includes('"cart server listening"')) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`cart server exited with ${code} before listening:\n${out.slice(-3000)}`));
      });
    });
  };

  const kill = async (): Promise<void> => {
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };

  if (options.deferStart !== true) await start();
  return {
    url,
    port,
    start,
    kill,
    output: () => out,
    async dispose() {
      await kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
    userToken: userJwt,
    async cartLines(userId, cartId) {
      const res = await fetch(`${url}/v1/carts/${cartId}`, {
        headers: { authorization: `Bearer ${userJwt(userId)}` },
      });
      if (res.status === 404) return [];
      if (!res.ok) throw new Error(`GET cart answered ${res.status}`);
      const body = (await res.json()) as { lines: { productId: string; quantity: number }[] };
      return body.lines.map((l) => `${l.productId}×${l.quantity}`);
    },
  };
}
