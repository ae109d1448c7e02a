/**
 * `npm run soak:poison [-- --json] [-- --requests 48 --dots 23000 --frames 20 --frame-dots 115000]`
 *
 * Runs the cart-poisoning sequence of the boundary-hardening issue against a real cart-server
 * process (one node, default limits, started from source like the tests) and measures /healthz
 * latency while it runs. A registered device sends `--requests` deltas whose context names
 * `--dots` single dots of its own actor spaced one apart (1, 3, 5, ..., continued from delta to
 * delta) — first as HTTP merges, then as WebSocket delta frames — followed by `--frames` frames of
 * about 320 KB (`--frame-dots` dots each). Before the boundary checks, the HTTP sequence made the
 * cart unreadable (every GET 503 after ~10 s of CPU per merge) and the large frames held /healthz
 * for seconds. Target: every delta refused with a typed 4xx / error frame, the cart readable
 * afterwards, /healthz p99 and max under 100 ms on a quiet machine.
 *
 * /healthz is polled from a worker thread (every 10 ms, one request at a time, keep-alive), so
 * the script's own work on the main thread does not show up in the latencies. The server's own
 * event-loop delay during each phase (prom-client's `nodejs_eventloop_lag_p99/max_seconds`, reset
 * at every scrape of /metrics) is printed beside it: on a busy machine it tells the server's
 * stalls apart from the OS scheduling the prober late.
 */
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { Cart, type CartState, encodeCartDelta, encodeContext } from '@cartwheel/crdt';
import { spacedDotDeltas } from '../test/support/poison.js';
import { api, createServer, removeTempDirs, token } from '../test/support/server-process.js';
import { type Frame, registerDevice, SyncPeer } from '../test/support/sync-peer.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    requests: { type: 'string', default: '48' },
    dots: { type: 'string', default: '23000' },
    frames: { type: 'string', default: '20' },
    'frame-dots': { type: 'string', default: '115000' },
  },
});
function positiveInt(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(`soak:poison: --${name} must be a positive integer, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}
const REQUESTS = positiveInt('requests', values.requests);
const DOTS = positiveInt('dots', values.dots);
const FRAMES = positiveInt('frames', values.frames);
const FRAME_DOTS = positiveInt('frame-dots', values['frame-dots']);

/** Absolute time in ms, comparable between threads. */
const now = () => performance.timeOrigin + performance.now();

const PROBE = `
const { parentPort, workerData } = require('node:worker_threads');
const samples = [];
let running = true;
parentPort.on('message', () => { running = false; });
(async () => {
  while (running) {
    const start = performance.timeOrigin + performance.now();
    let ok = false;
    try {
      const res = await fetch(workerData.url + '/healthz', { signal: AbortSignal.timeout(30000) });
      await res.arrayBuffer();
      ok = res.status === 200;
    } catch {}
    samples.push([start, performance.timeOrigin + performance.now() - start, ok]);
    await new Promise((r) => setTimeout(r, 10));
  }
  parentPort.postMessage(samples);
})();
`;

interface Phase {
  name: string;
  start: number;
  end: number;
  answers: Record<string, number>;
  loop: EventLoopDelay;
}

/** The server's event-loop delay since the previous scrape, in ms. */
interface EventLoopDelay {
  p99Ms: number;
  maxMs: number;
}

interface PhaseReport {
  phase: string;
  durationMs: number;
  probes: number;
  failedProbes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  serverLoopP99Ms: number;
  serverLoopMaxMs: number;
  answers: Record<string, number>;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** "status CODE" of an answer, or how the request failed (the pre-fix server timed requests out). */
async function outcome(request: Promise<{ status: number; json: unknown }>): Promise<string> {
  try {
    const res = await request;
    const code = (res.json as { error?: { code?: string } } | null)?.error?.code;
    return code === undefined ? String(res.status) : `${res.status} ${code}`;
  } catch (err) {
    return `failed (${(err as Error).name})`;
  }
}

const server = await createServer({ args: ['--platform', 'off'] });
await server.start();
const probe = new Worker(PROBE, { eval: true, workerData: { url: server.url } });
const phases: Phase[] = [];

async function eventLoopDelay(): Promise<EventLoopDelay> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const read = (name: string) => {
    const m = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm'));
    return m === null ? Number.NaN : Math.round(Number(m[1]) * 10_000) / 10;
  };
  return { p99Ms: read('nodejs_eventloop_lag_p99_seconds'), maxMs: read('nodejs_eventloop_lag_max_seconds') };
}

async function phase(name: string, run: (answers: Record<string, number>) => Promise<void>): Promise<void> {
  const answers: Record<string, number> = {};
  await eventLoopDelay(); // resets the server's histogram
  const start = now();
  await run(answers);
  const end = now();
  phases.push({ name, start, end, answers, loop: await eventLoopDelay() });
}

try {
  const device = await registerDevice(server.url, await token('soak'));
  const call = api(server.url, device.token);
  const seed = (cartId: string) =>
    call('POST', `/v1/carts/${cartId}/merge`, {
      delta: b64(encodeCartDelta(Cart.create({ actor: device.actor }).add('sku-1', 1))),
    });
  await seed('soak-http');
  await seed('soak-ws');
  // Built before any phase starts, so building them is not measured.
  const encoded = (deltas: CartState[]) => deltas.map((d) => b64(encodeCartDelta(d)));
  const poison = encoded(spacedDotDeltas(device.actor, REQUESTS, DOTS, 3));
  const large = encoded(spacedDotDeltas(device.actor, FRAMES, FRAME_DOTS, 3 + 2 * REQUESTS * DOTS));
  const httpBytes = Math.max(...poison.map((d) => JSON.stringify({ delta: d }).length));
  const frameBytes = Math.max(...large.map((d) => d.length + 60));

  await phase('idle', () => new Promise((r) => setTimeout(r, 1000)));

  /** The poisoned cart must still answer: GET, DELETE (clear), GET. */
  const stillUsable = (title: string, cartId: string) =>
    phase(title, async (answers) => {
      for (const method of ['GET', 'DELETE', 'GET'] as const) {
        count(answers, `${method} ${await outcome(call(method, `/v1/carts/${cartId}`))}`);
      }
    });

  await phase(
    `HTTP: ${REQUESTS} merges of ${DOTS} spaced dots (≤ ${httpBytes} B bodies)`,
    async (answers) => {
      for (const delta of poison) {
        count(answers, await outcome(call('POST', '/v1/carts/soak-http/merge', { delta })));
      }
    },
  );

  await stillUsable('HTTP: GET, DELETE (clear), GET of that cart', 'soak-http');

  const peer = await SyncPeer.open(server.url, device.token);
  peer.send({ t: 'hello', cartId: 'soak-ws', context: b64(encodeContext(Cart.create().context())) });
  await peer.next((f) => f.t === 'welcome');
  const answered = async (n: number, answers: Record<string, number>) => {
    for (let i = 0; i < n; i++) {
      const f: Frame = await peer.next((x) => x.t === 'error' || x.t === 'ack', 120_000);
      count(answers, f.t === 'ack' ? 'ack' : `error ${String(f.code)}`);
    }
  };
  const frame = (seq: number, delta: string) => JSON.stringify({ t: 'delta', cartId: 'soak-ws', seq, delta });

  await phase(`WS: ${REQUESTS} delta frames of ${DOTS} spaced dots, sent at once`, async (answers) => {
    for (const [i, d] of poison.entries()) peer.send(frame(i + 1, d));
    await answered(poison.length, answers);
  });

  // A fresh second, so the connection's byte budget does not decide the outcome alone.
  await new Promise((r) => setTimeout(r, 1500));
  await phase(
    `WS: ${FRAMES} frames of ${Math.round(frameBytes / 1000)} KB, sent at once`,
    async (answers) => {
      for (const [i, d] of large.entries()) peer.send(frame(1000 + i, d));
      await answered(large.length, answers);
    },
  );
  peer.close();

  await stillUsable('HTTP: GET, DELETE (clear), GET of the WebSocket cart', 'soak-ws');
} finally {
  const samples = await new Promise<Array<[number, number, boolean]>>((resolve) => {
    probe.once('message', resolve);
    probe.postMessage('stop');
  });
  await probe.terminate();
  await server.stop();
  removeTempDirs();

  const report = (
    name: string,
    start: number,
    end: number,
    answers: Record<string, number>,
    loop: EventLoopDelay,
  ): PhaseReport => {
    const inside = samples.filter(([t]) => t >= start && t <= end);
    const sorted = inside.map(([, ms]) => ms).sort((a, b) => a - b);
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      phase: name,
      durationMs: Math.round(end - start),
      probes: inside.length,
      failedProbes: inside.filter(([, , ok]) => !ok).length,
      p50Ms: round(percentile(sorted, 50)),
      p99Ms: round(percentile(sorted, 99)),
      maxMs: round(sorted[sorted.length - 1] ?? Number.NaN),
      serverLoopP99Ms: loop.p99Ms,
      serverLoopMaxMs: loop.maxMs,
      answers,
    };
  };
  const reports = phases.map((p) => report(p.name, p.start, p.end, p.answers, p.loop));
  const attack = phases.filter((p) => p.name !== 'idle');
  if (attack.length > 0) {
    const first = attack[0] as Phase;
    const last = attack[attack.length - 1] as Phase;
    const loop = {
      p99Ms: Math.max(...attack.map((p) => p.loop.p99Ms)),
      maxMs: Math.max(...attack.map((p) => p.loop.maxMs)),
    };
    reports.push(report('all phases after idle', first.start, last.end, {}, loop));
  }
  if (values.json) {
    console.log(JSON.stringify({ reports }, null, 2));
  } else {
    console.log("/healthz latency and the server's event-loop delay (ms) while the poisoning sequence runs");
    const cols = (...c: (string | number)[]) =>
      c.map((x, i) => (i === 0 ? String(x).padEnd(60) : String(x).padStart(i === 1 ? 6 : 8))).join(' ');
    console.log(cols('phase', 'ms', 'probes', 'p50', 'p99', 'max', 'loop p99', 'loop max'));
    for (const r of reports) {
      const failed = r.failedProbes > 0 ? `  ${r.failedProbes} probes failed` : '';
      console.log(
        cols(
          r.phase,
          r.durationMs,
          r.probes,
          r.p50Ms,
          r.p99Ms,
          r.maxMs,
          r.serverLoopP99Ms,
          r.serverLoopMaxMs,
        ) + failed,
      );
      if (Object.keys(r.answers).length > 0) console.log(`    answers: ${JSON.stringify(r.answers)}`);
    }
  }
}
