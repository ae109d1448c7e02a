/**
 * Drives `processor-main.ts` as a child process that can be SIGKILLed and restarted at any time.
 * Requests in flight when the child dies are retried (with the same dedupe id) once it is back.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const MAIN = fileURLToPath(new URL('../../src/orders/processor-main.ts', import.meta.url));

/**
 * Bundles processor-main.ts into one ESM file under `dir` (the native LevelDB binding stays an
 * external absolute import). Starting plain node on a bundle takes a fraction of the time tsx
 * needs to transpile the sources on every restart, which keeps the crash test fast on a loaded
 * machine; the code is the same sources.
 */
export async function bundleProcessorMain(dir: string): Promise<string> {
  const outfile = join(dir, 'processor-main.mjs');
  const resolveNative = createRequire(import.meta.url).resolve('classic-level');
  await build({
    entryPoints: [MAIN],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['source'],
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __cwRequire } from 'node:module'; const require = __cwRequire(import.meta.url);",
    },
    plugins: [
      {
        name: 'native-external',
        setup(b) {
          b.onResolve({ filter: /^classic-level$/ }, () => ({ path: resolveNative, external: true }));
        },
      },
    ],
  });
  return outfile;
}

type Reply =
  | { t: 'appended'; id: number; partition: number; offset: number; duplicate: boolean }
  | { t: 'status'; id: number; lag: number; backlog: number }
  | { t: 'error'; id: number; message: string }
  | { t: 'ready' };

export class ProcessorChild {
  #child: ChildProcess | undefined;
  #ready: Promise<void> | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve(r: Reply): void; reject(e: Error): void }>();
  starts = 0;
  kills = 0;
  stderr = '';

  /** `entry`: a bundle from bundleProcessorMain, or undefined to run the sources through tsx. */
  constructor(
    readonly args: string[],
    readonly entry?: string,
  ) {}

  start(): Promise<void> {
    const argv = this.entry === undefined ? ['--conditions=source', '--import', 'tsx', MAIN] : [this.entry];
    const child = spawn(process.execPath, [...argv, ...this.args], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.#child = child;
    this.starts++;
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.#ready = new Promise<void>((resolve, reject) => {
      child.on('message', (m: Reply) => {
        if (m.t === 'ready') resolve();
        else {
          const waiter = this.#pending.get(m.id);
          this.#pending.delete(m.id);
          waiter?.resolve(m);
        }
      });
      child.once('exit', (code, signal) => {
        reject(new Error(`processor exited (${code ?? signal}) before ready: ${this.stderr}`));
        for (const [, w] of this.#pending) w.reject(new Error('processor died'));
        this.#pending.clear();
      });
    });
    this.#ready.catch(() => undefined);
    return this.#ready;
  }

  get alive(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    this.kills++;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    if (code !== 0) throw new Error(`processor did not stop cleanly (${code}): ${this.stderr}`);
  }

  /** Sends a request, retrying across crashes until it gets an answer. */
  async request(
    message: { t: 'append'; key: string; value: string; dedupeId?: string } | { t: 'status' },
  ): Promise<Reply> {
    for (;;) {
      try {
        await this.#ready;
      } catch {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      const child = this.#child;
      if (child === undefined || !this.alive || !child.connected) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      const id = this.#nextId++;
      try {
        return await new Promise<Reply>((resolve, reject) => {
          this.#pending.set(id, { resolve, reject });
          child.send({ ...message, id }, (err) => {
            if (err) {
              this.#pending.delete(id);
              reject(err);
            }
          });
        });
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}
