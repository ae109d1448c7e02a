import pg from 'pg';

export interface PostgresChangeFeedOptions {
  readonly url: string;
  readonly connectTimeoutMs?: number;
  /** Called for connection errors that were handled (logging). */
  readonly onError?: (err: Error) => void;
}

/**
 * The LISTEN connection: a dedicated client (a pooled one would be handed to queries), reopened
 * with capped back-off when it drops; each reopening reports `null` (a reset) to the store.
 */
export class PostgresChangeFeed {
  readonly #options: PostgresChangeFeedOptions;
  readonly #channel: string;
  readonly #onPayload: (payload: string | null) => void;
  #client: pg.Client | undefined;
  #closed = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  ready: Promise<void>;

  constructor(
    options: PostgresChangeFeedOptions,
    channel: string,
    onPayload: (payload: string | null) => void,
  ) {
    this.#options = options;
    this.#channel = channel;
    this.#onPayload = onPayload;
    this.ready = this.#connect(false);
  }

  async #connect(reconnect: boolean): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#options.url,
      connectionTimeoutMillis: this.#options.connectTimeoutMs ?? 5000,
      application_name: 'cartwheel-catalog-feed',
    });
    client.on('notification', (msg) => {
      if (msg.channel === this.#channel) this.#onPayload(msg.payload ?? '');
    });
    const lost = (err?: Error): void => {
      if (err !== undefined) this.#options.onError?.(err);
      if (this.#client !== client) return;
      this.#client = undefined;
      client.end().catch(() => undefined);
      this.#schedule();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query(`LISTEN ${this.#channel}`);
    } catch (err) {
      client.end().catch(() => undefined);
      this.#options.onError?.(err as Error);
      if (!this.#closed) this.#schedule();
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#attempt = 0;
    if (reconnect) this.#onPayload(null);
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== undefined) return;
    const delay = Math.min(100 * 2 ** this.#attempt++, 5000);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.ready = this.#connect(true);
    }, delay);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.ready.catch(() => undefined);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}
