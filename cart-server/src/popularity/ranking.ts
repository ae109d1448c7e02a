/**
 * The ranking job (the source design's batch job over the daily aggregates): a product's score
 * is the weighted sum of its daily counts with exponential decay by age, so last week's hit
 * fades. The top K become the "top" band (preloaded into the cache); any other product with a
 * signal is "active"; the rest is the long "tail". Bands pick the search shard a product lives in.
 */
import type { WindowRow } from './counter-store.js';
import { DAY_MS, EVENT_WEIGHTS } from './events.js';

export const BANDS = ['top', 'active', 'tail'] as const;
export type Band = (typeof BANDS)[number];

export interface RankingOptions {
  /** How many products form the top band (and are preloaded into the cache). */
  readonly topK?: number;
  /** Weight multiplier per day of age (default 0.85: a week-old day counts ~32%). */
  readonly decay?: number;
  readonly now?: () => number;
}

export interface RankingSnapshot {
  readonly computedAt: number;
  readonly topK: number;
  /** Top K ids, most popular first. */
  readonly top: readonly string[];
  /** Normalised score in (0, 1] for every product with a signal (max = 1). */
  readonly scores: Readonly<Record<string, number>>;
  /**
   * The fencing token of the ranking-job lease it was computed under (ranking-store.ts): a store
   * keeps only a snapshot whose fence is newer than the one it holds. 0 or absent: none.
   */
  readonly fence?: number;
}

export const EMPTY_RANKING: RankingSnapshot = { computedAt: 0, topK: 0, top: [], scores: {} };

export async function computeRanking(
  counters: { window(): AsyncIterable<WindowRow> },
  options: RankingOptions = {},
): Promise<RankingSnapshot> {
  const topK = options.topK ?? 1000;
  const decay = options.decay ?? 0.85;
  const now = (options.now ?? Date.now)();
  const today = Date.parse(new Date(now).toISOString().slice(0, 10));
  const raw = new Map<string, number>();
  for await (const [day, id, [views, adds, orders]] of counters.window()) {
    const age = Math.max(0, Math.round((today - Date.parse(day)) / DAY_MS));
    const s =
      (views * EVENT_WEIGHTS.view + adds * EVENT_WEIGHTS.cart_add + orders * EVENT_WEIGHTS.order) *
      decay ** age;
    if (s > 0) raw.set(id, (raw.get(id) ?? 0) + s);
  }
  // Deterministic order: score desc, then id asc.
  const ranked = [...raw].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const max = ranked[0]?.[1] ?? 1;
  const scores: Record<string, number> = {};
  for (const [id, s] of ranked) scores[id] = s / max;
  return { computedAt: now, topK, top: ranked.slice(0, topK).map(([id]) => id), scores };
}

/** Band lookup for a snapshot, O(1) per product. */
export class BandAssigner {
  readonly #top: ReadonlySet<string>;
  readonly #scores: Readonly<Record<string, number>>;
  constructor(snapshot: RankingSnapshot) {
    this.#top = new Set(snapshot.top);
    this.#scores = snapshot.scores;
  }
  band(id: string): Band {
    if (this.#top.has(id)) return 'top';
    return (this.#scores[id] ?? 0) > 0 ? 'active' : 'tail';
  }
  score(id: string): number {
    return this.#scores[id] ?? 0;
  }
}
