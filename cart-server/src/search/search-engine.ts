/**
 * Query execution: fan out to the shards of the requested categories (every popularity band),
 * score each hit as relevance × (1 + popularity), and merge with a bounded top-k selection
 * ordered by (score desc, id asc) — the id tie-break makes pages deterministic, and the keyset
 * cursor (score, id) means no hit is shown twice or skipped between pages.
 *
 * Caveat (as in any sharded BM25 index without a global statistics phase, cf. Elasticsearch's
 * dfs_query_then_fetch): each shard computes IDF from its own documents, so raw relevance is
 * comparable within a shard and approximately so across shards.
 */
import MiniSearch, { type SearchOptions } from 'minisearch';
import { InvalidCursorError } from '../catalog/errors.js';
import {
  type Cursor,
  decodeCursor,
  encodeCursor,
  fingerprint,
  type SearchHit,
  type SearchPage,
  type SearchQuery,
  validateSearchQuery,
} from './search-query.js';
import type { ShardedIndex, StoredHit } from './sharded-index.js';

export const DEFAULT_PAGE_SIZE = 20;
/** How much popularity can lift a hit: a top product counts up to (1 + w)× its relevance. */
export const POPULARITY_WEIGHT = 1;

export interface IndexGenerationView {
  readonly id: string;
  readonly index: ShardedIndex;
}

/** Resolves the generation to read: the active one, or the one a cursor was issued by. */
export interface GenerationResolver {
  current(): IndexGenerationView;
  find(id: string): IndexGenerationView | undefined;
}

/** (score desc, id asc): true when a ranks before b. */
function before(aScore: number, aId: string, bScore: number, bId: string): boolean {
  return aScore > bScore || (aScore === bScore && aId < bId);
}

export function searchIndex(view: IndexGenerationView, raw: SearchQuery): SearchPage {
  const query = validateSearchQuery(raw);
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const fp = fingerprint(query);
  let cursor: Cursor | undefined;
  if (query.cursor !== undefined) {
    cursor = decodeCursor(query.cursor);
    if (cursor.f !== fp) throw new InvalidCursorError('cursor belongs to another query');
    if (cursor.g !== view.id) throw new InvalidCursorError('cursor belongs to another generation');
  }
  const text = (query.q ?? '').trim();
  const min = query.minPrice;
  const max = query.maxPrice;
  const options: SearchOptions = {
    combineWith: 'AND',
    boost: { title: 3, brand: 2, category: 1.5, description: 1 },
    // Type-ahead on the last word only; small typo tolerance on longer words.
    prefix: (_term, i, terms) => i === terms.length - 1,
    fuzzy: (term) => (term.length >= 5 ? 0.2 : false),
    ...(min === undefined && max === undefined
      ? {}
      : {
          filter: (r) => {
            const price = (r as unknown as StoredHit).priceMinor;
            return (min === undefined || price >= min) && (max === undefined || price <= max);
          },
        }),
  };
  const categories = query.categories === undefined ? undefined : new Set(query.categories);

  // Bounded selection of the best limit+1 hits after the cursor (the +1 tells us a next page exists).
  const keep = limit + 1;
  const best: SearchHit[] = [];
  let total = 0;
  const visit = (r: StoredHit & { score: number }): void => {
    total++;
    const relevance = text === '' ? 1 : r.score;
    const popularity = r.popularity ?? 0;
    const score = relevance * (1 + POPULARITY_WEIGHT * popularity);
    if (cursor !== undefined && !before(cursor.s, cursor.i, score, r.id)) return;
    if (best.length === keep) {
      const worst = best[keep - 1]!;
      if (!before(score, r.id, worst.score, worst.id)) return;
      best.pop();
    }
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = best[mid]!;
      if (before(m.score, m.id, score, r.id)) lo = mid + 1;
      else hi = mid;
    }
    best.splice(lo, 0, {
      id: r.id,
      title: r.title,
      snippet: r.snippet,
      priceMinor: r.priceMinor,
      currency: r.currency,
      category: r.category,
      image: r.image,
      availability: r.availability,
      score,
      relevance,
      popularity,
    });
  };
  const shardsQueried = view.index.searchShards(
    text === '' ? MiniSearch.wildcard : text,
    categories,
    options,
    visit,
  );
  const items = best.slice(0, limit);
  const last = items[items.length - 1];
  const page: SearchPage = { items, total, generation: view.id, shardsQueried };
  if (best.length > limit && last !== undefined) {
    return { ...page, nextCursor: encodeCursor({ g: view.id, s: last.score, i: last.id, f: fp }) };
  }
  return page;
}

/** Search against the active generation, or the generation a cursor pins. */
export function search(resolver: GenerationResolver, query: SearchQuery): SearchPage {
  if (query.cursor !== undefined) {
    const c = decodeCursor(query.cursor);
    const view = resolver.find(c.g);
    if (view === undefined) {
      throw new InvalidCursorError(
        'the generation this cursor belongs to was retired; start again from page 1',
      );
    }
    return searchIndex(view, query);
  }
  return searchIndex(resolver.current(), query);
}
