import { parentPort } from 'node:worker_threads';
import type { SimConfig } from './config.js';
import { runPair } from './run-pair.js';

/** Worker side of the sweep: runs the seeds the main thread hands out, one at a time. */
export interface WorkerTask {
  readonly config: SimConfig;
  readonly withControl: boolean;
}

const port = parentPort;
if (port === null) throw new TypeError('worker.ts must run in a worker thread');
port.on('message', (task: WorkerTask | null) => {
  if (task === null) {
    port.close();
    return;
  }
  runPair(task.config, task.withControl).then(
    (pair) => port.postMessage({ ok: true, pair }),
    (err: unknown) => port.postMessage({ ok: false, seed: task.config.seed, error: String(err) }),
  );
});
