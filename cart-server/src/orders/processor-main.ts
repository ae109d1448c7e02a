/**
 * Runs the order processor and outbox sender as their own process (the crash tests SIGKILL it;
 * operators can run it beside cart servers that use the Redis log):
 *
 *   node --conditions=source --import tsx cart-server/src/orders/processor-main.ts \
 *     --data DIR [--eml DIR] [--partitions 16] [--redis-url redis://...] [--redis-prefix P] [--no-sync]
 *
 * With the embedded log the log lives in this process (LevelDB is single-process), so when
 * started with an IPC channel it also accepts appends from its parent:
 *   parent → { t: 'append', id, key, value, dedupeId? }  ← { t: 'appended', id, partition, offset, duplicate }
 *   parent → { t: 'status', id }                          ← { t: 'status', id, lag, backlog }
 * SIGTERM stops cleanly (the current checkpoint is finished, the databases closed).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EmlFileSink } from './eml-sink.js';
import { LevelOrderLog } from './log/level-order-log.js';
import type { OrderLog } from './log/order-log.js';
import { RedisOrderLog } from './log/redis-order-log.js';
import { OutboxSender } from './outbox.js';
import { OrderProcessor } from './processor.js';
import { ProcessorStore } from './processor-store.js';

type Request =
  | { t: 'append'; id: number; key: string; value: string; dedupeId?: string }
  | { t: 'status'; id: number };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      eml: { type: 'string' },
      partitions: { type: 'string', default: '16' },
      'redis-url': { type: 'string' },
      'redis-prefix': { type: 'string' },
      'no-sync': { type: 'boolean', default: false },
      'max-batch': { type: 'string', default: '1000' },
    },
  });
  if (values.data === undefined) throw new TypeError('--data DIR is required');
  const partitions = Number(values.partitions);
  const sync = !values['no-sync'];
  const log: OrderLog =
    values['redis-url'] === undefined
      ? await LevelOrderLog.open({ location: join(values.data, 'order-log'), partitions, sync })
      : await RedisOrderLog.open({
          url: values['redis-url'],
          partitions,
          ...(values['redis-prefix'] === undefined ? {} : { prefix: values['redis-prefix'] }),
        });
  const store = await ProcessorStore.open(join(values.data, 'order-state'), { sync });
  const sink = await EmlFileSink.open(values.eml ?? join(values.data, 'outbox-mail'));
  const onError = (err: unknown): void => {
    process.stderr.write(`order processor: ${err instanceof Error ? err.stack : String(err)}\n`);
  };
  const sender = new OutboxSender({ store, sink, onError, idleMs: 100 });
  const processor = new OrderProcessor({
    log,
    store,
    maxBatch: Number(values['max-batch']),
    blockMs: 50,
    onCheckpoint: (c) => sender.notify(c.outbox.length),
    onError,
  });
  await processor.start();
  await sender.start();

  const send = process.send?.bind(process);
  if (send !== undefined) {
    process.on('message', (message: Request) => {
      if (message.t === 'append') {
        const { id, key, value, dedupeId } = message;
        log.append(dedupeId === undefined ? { key, value } : { key, value, dedupeId }).then(
          (r) => send({ t: 'appended', id, ...r }),
          (err: unknown) => send({ t: 'error', id, message: String(err) }),
        );
      } else if (message.t === 'status') {
        Promise.all([processor.lag(), store.outboxSize()]).then(
          ([lag, backlog]) => send({ t: 'status', id: message.id, lag, backlog }),
          (err: unknown) => send({ t: 'error', id: message.id, message: String(err) }),
        );
      }
    });
    process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
    send({ t: 'ready' });
  }

  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await processor.stop();
      await sender.stop();
      await log.close();
      await store.close();
      process.exit(0);
    })();
  });
}

main().catch((err: unknown) => {
  process.stderr.write(
    `order processor failed to start: ${err instanceof Error ? err.stack : String(err)}\n`,
  );
  process.exit(1);
});
