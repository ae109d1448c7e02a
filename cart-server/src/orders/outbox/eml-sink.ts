/**
 * The default confirmation sink: one RFC 5322 `.eml` file per message in a folder, named by the
 * message's idempotency key. A file is written to a temporary name and renamed into place, so a
 * reader (or a crash) never sees half a message, and a key that already has its file is not
 * written again: the sink deduplicates, which is what makes the outbox exactly-once in effect.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmailMessage } from '../events.js';
import type { MessageSink } from './outbox-sender.js';

const KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,200}$/;
const TMP_PREFIX = '.tmp-';
/**
 * A temporary file older than this is a crashed writer's leftover. A younger one may be a write in
 * progress by another node: the nodes of a cluster share the folder, and removing its file would
 * fail that node's rename (a spurious error and a redelivery).
 */
const STALE_TMP_MS = 60_000;

/** Header values never carry line breaks (no header injection). */
const header = (value: string): string => value.replace(/[\r\n]+/g, ' ');

export class EmlFileSink implements MessageSink {
  readonly directory: string;
  readonly #from: string;

  private constructor(directory: string, from: string) {
    this.directory = directory;
    this.#from = from;
  }

  /** Creates the folder and removes temporary files a crash left behind (older than a minute). */
  static async open(directory: string, options: { from?: string } = {}): Promise<EmlFileSink> {
    await mkdir(directory, { recursive: true });
    const now = Date.now();
    for (const name of await readdir(directory)) {
      if (!name.startsWith(TMP_PREFIX)) continue;
      const path = join(directory, name);
      const info = await stat(path).catch(() => undefined);
      if (info !== undefined && now - info.mtimeMs > STALE_TMP_MS) await rm(path, { force: true });
    }
    return new EmlFileSink(directory, options.from ?? 'orders@cartwheel.invalid');
  }

  fileFor(key: string): string {
    return join(this.directory, `${key}.eml`);
  }

  async deliver(message: EmailMessage): Promise<'sent' | 'deduplicated'> {
    if (!KEY_PATTERN.test(message.key)) throw new TypeError(`bad idempotency key ${message.key}`);
    const target = this.fileFor(message.key);
    if (await exists(target)) return 'deduplicated';
    const tmp = join(this.directory, `${TMP_PREFIX}${message.key}-${randomUUID()}`);
    const body = [
      `Message-ID: <${message.key}@cartwheel.invalid>`,
      `Date: ${new Date(message.createdAt).toUTCString()}`,
      `From: ${header(this.#from)}`,
      `To: ${header(message.to)}`,
      `Subject: ${header(message.subject)}`,
      `X-Idempotency-Key: ${message.key}`,
      `X-Order-Id: ${header(message.orderId)}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      message.text,
      '',
    ].join('\r\n');
    await writeFile(tmp, body, { flag: 'wx' });
    // rename is atomic; a concurrent duplicate delivery just replaces identical content.
    await rename(tmp, target);
    return 'sent';
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
