/**
 * The state search and popularity share between the nodes of one shop: with Redis, the
 * generation pointer and manifests, the board where nodes announce the generations they hold,
 * the popularity windows and the one ranking with its lease; without it, the node's LevelDB
 * and in-process equivalents — the same interfaces, so a single node runs the same code.
 *
 * The shared pieces use their own Redis connections: commands that may scan a day of counts or
 * carry a ranking need a longer timeout than the product cache's 250 ms, and a connection in
 * subscriber mode (pub/sub notifications) can do nothing else.
 */
import { createCatalogRedis, waitReady } from '../catalog/cache/redis-client.js';
import type { CounterStore } from '../popularity/counter-store.js';
import { LevelCounterStore } from '../popularity/level-counter-store.js';
import { LevelRankingStore, type RankingStore } from '../popularity/ranking-store.js';
import { RedisCounterStore } from '../popularity/redis-counter-store.js';
import { RedisRankingStore } from '../popularity/redis-ranking-store.js';
import {
  type GenerationBoard,
  LocalGenerationBoard,
  RedisGenerationBoard,
} from '../search/generation-board.js';
import {
  type GenerationPointer,
  LevelGenerationPointer,
  RedisGenerationPointer,
} from '../search/generation-pointer.js';
import type { LevelLike } from '../storage/level-types.js';

export interface SharedState {
  /** True when the state is shared by a cluster (Redis). */
  readonly shared: boolean;
  readonly pointer: GenerationPointer;
  readonly board: GenerationBoard;
  readonly counters: CounterStore;
  readonly rankings: RankingStore;
  close(): Promise<void>;
}

export interface SharedStateOptions {
  /** The node's own database (popularity outbox or windows, and without Redis everything). */
  readonly db: LevelLike;
  readonly nodeId: string;
  readonly redisUrl?: string;
  readonly windowDays?: number;
  readonly now?: () => number;
  readonly onError?: (err: unknown) => void;
}

export async function openSharedState(options: SharedStateOptions): Promise<SharedState> {
  const windowOptions = {
    ...(options.windowDays === undefined ? {} : { windowDays: options.windowDays }),
    ...(options.now === undefined ? {} : { now: options.now }),
  };
  if (options.redisUrl === undefined || options.redisUrl === '') {
    return {
      shared: false,
      pointer: new LevelGenerationPointer(options.db),
      board: new LocalGenerationBoard(),
      counters: new LevelCounterStore(options.db, windowOptions),
      rankings: new LevelRankingStore(options.db),
      close: async () => undefined,
    };
  }
  const clientOptions = {
    commandTimeoutMs: 5000,
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  };
  const redis = createCatalogRedis(options.redisUrl, clientOptions);
  const subscriber = createCatalogRedis(options.redisUrl, clientOptions);
  const disconnect = async (): Promise<void> => {
    redis.disconnect();
    subscriber.disconnect();
  };
  try {
    await Promise.all([waitReady(redis, 5000), waitReady(subscriber, 5000)]);
    const counters = await RedisCounterStore.open({
      redis,
      local: options.db,
      nodeId: options.nodeId,
      ...windowOptions,
    });
    return {
      shared: true,
      pointer: new RedisGenerationPointer(redis),
      board: new RedisGenerationBoard({ redis, subscriber }),
      counters,
      rankings: new RedisRankingStore({ redis, subscriber }),
      close: disconnect,
    };
  } catch (err) {
    await disconnect();
    throw new Error(`REDIS_URL is set but Redis is unreachable: ${(err as Error).message}`, { cause: err });
  }
}
