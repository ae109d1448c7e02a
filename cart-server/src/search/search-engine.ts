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
import type { SearchOptions } from 'minisearch';
import type SearchableMap from 'minisearch/SearchableMap';
import { InvalidCursorError } from './errors.js';
import { headNounTier } from './head-noun.js';
import {
  type Cursor,
  decodeCursor,
  encodeCursor,
  fingerprint,
  normalizedQuery,
  type SearchHit,
  type SearchPage,
  type SearchQuery,
  validateSearchQuery,
} from './search-query.js';
import {
  isPrefixTerm,
  type ShardedIndex,
  type StoredHit,
  type TermStats,
  tokenize,
} from './sharded-index.js';

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

/**
 * The options of every shard search, built once (not per query and shard). Price filters are
 * applied on the stored hit by the caller instead of through a per-query `filter` closure.
 */
const SHARD_SEARCH: SearchOptions = {
  combineWith: 'AND',
  boost: { title: 3, extra: 1 },
  // Type-ahead on the last word only, from 3 letters: a 1-2 letter prefix ("dutch o")
  // expands to a large part of the vocabulary in every shard for no useful ranking.
  prefix: isPrefixTerm,
};

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
  // Validated, cursor checked: a page cached for these exact inputs is the answer.
  const cacheKey = `${limit}\u0000${query.cursor ?? ''}\u0000${normalizedQuery(query)}`;
  const cached = view.index.pages.get(cacheKey);
  if (cached !== undefined) return cached;
  return view.index.pages.set(cacheKey, runQuery(view, query, limit, fp, cursor));
}

function runQuery(
  view: IndexGenerationView,
  query: SearchQuery,
  limit: number,
  fp: string,
  cursor: Cursor | undefined,
): SearchPage {
  const text = (query.q ?? '').trim();
  const min = query.minPrice;
  const max = query.maxPrice;
  const priceOk = (price: number): boolean =>
    (min === undefined || price >= min) && (max === undefined || price <= max);
  const categories = query.categories === undefined ? undefined : new Set(query.categories);
  const keep = limit + 1; // one more than a page tells whether a next page exists
  const after = cursor === undefined ? undefined : { score: cursor.s, id: cursor.i };

  const result =
    text === ''
      ? browse(view, categories, min === undefined && max === undefined ? undefined : priceOk, after, keep)
      : fullText(
          view,
          text,
          categories,
          min === undefined && max === undefined ? undefined : priceOk,
          after,
          keep,
        );
  const items = result.best.slice(0, limit);
  const last = items[items.length - 1];
  const page: SearchPage = {
    items,
    total: result.total,
    generation: view.id,
    shardsQueried: result.shards,
    ...(result.corrected === undefined ? {} : { correctedQuery: result.corrected }),
  };
  if (result.best.length > limit && last !== undefined) {
    return { ...page, nextCursor: encodeCursor({ g: view.id, s: last.score, i: last.id, f: fp }) };
  }
  return page;
}

interface Partial {
  best: SearchHit[];
  total: number;
  shards: number;
  corrected?: string;
}

function toHit(r: StoredHit, relevance: number, score: number): SearchHit {
  return {
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
    popularity: r.popularity,
  };
}

/** Bounded top-k by (score desc, id asc), skipping everything at or before the cursor. */
class TopK {
  readonly best: SearchHit[] = [];
  readonly #keep: number;
  readonly #after: { score: number; id: string } | undefined;
  constructor(keep: number, after: { score: number; id: string } | undefined) {
    this.#keep = keep;
    this.#after = after;
  }
  /** `tier` ranks whole groups of hits above others (head-noun.ts); 0 for most. */
  offer(r: StoredHit, relevance: number, tier = 0): void {
    const score = tier + relevance * (1 + POPULARITY_WEIGHT * r.popularity);
    const after = this.#after;
    if (after !== undefined && !before(after.score, after.id, score, r.id)) return;
    const best = this.best;
    if (best.length === this.#keep) {
      const worst = best[this.#keep - 1]!;
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
    best.splice(lo, 0, toHit(r, relevance, score));
  }
}

function fullText(
  view: IndexGenerationView,
  text: string,
  categories: ReadonlySet<string> | undefined,
  priceOk: ((price: number) => boolean) | undefined,
  after: { score: number; id: string } | undefined,
  keep: number,
): Partial {
  const run = (q: string): Partial => {
    const top = new TopK(keep, after);
    const terms = tokenize(q).map((t) => t.toLowerCase());
    let total = 0;
    const shards = view.index.searchShards(q, categories, SHARD_SEARCH, (hit, relevance) => {
      if (priceOk !== undefined && !priceOk(hit.priceMinor)) return;
      total++;
      // What the product is (its head noun) outranks what it merely mentions: head-noun.ts.
      top.offer(hit, relevance, headNounTier(terms, hit));
    });
    return { best: top.best, total, shards };
  };
  const exact = run(text);
  if (exact.total > 0) return exact;
  // Nothing matched: correct typos against the generation's vocabulary ("did you mean") with
  // one fuzzy walk, instead of fuzzy-searching every shard. Deterministic for a query, so all
  // pages of it use the same correction.
  const corrected = correctQuery(view.index.vocabulary(), text);
  if (corrected === undefined) return exact;
  return { ...run(corrected), corrected };
}

/** Replaces unknown words by the closest known one (edit distance 1, or 2 for long words). */
export function correctQuery(vocabulary: SearchableMap<TermStats>, text: string): string | undefined {
  const terms = tokenize(text).map((t) => t.toLowerCase());
  let changed = false;
  const out = terms.map((term, i) => {
    if (vocabulary.has(term)) return term;
    if (i === terms.length - 1 && vocabulary.atPrefix(term).entries().next().done !== true) return term;
    if (term.length < 4) return term;
    let best: { term: string; distance: number; count: number } | undefined;
    for (const [candidate, [{ count }, distance]] of vocabulary.fuzzyGet(term, term.length >= 8 ? 2 : 1)) {
      if (
        best === undefined ||
        distance < best.distance ||
        (distance === best.distance &&
          (count > best.count || (count === best.count && candidate < best.term)))
      ) {
        best = { term: candidate, distance, count };
      }
    }
    if (best === undefined) return term;
    changed = true;
    return best.term;
  });
  return changed ? out.join(' ') : undefined;
}

/** Empty query: k-way merge of the shards' lists, already in browse order. */
function browse(
  view: IndexGenerationView,
  categories: ReadonlySet<string> | undefined,
  priceOk: ((price: number) => boolean) | undefined,
  after: { score: number; id: string } | undefined,
  keep: number,
): Partial {
  const lists = view.index.browseLists(categories);
  let total = 0;
  for (const list of lists) {
    if (priceOk === undefined) total += list.length;
    else for (const h of list) if (priceOk(h.priceMinor)) total++;
  }
  const score = (h: StoredHit): number => 1 + POPULARITY_WEIGHT * h.popularity;
  // Start each list just after the cursor (binary search: lists are sorted in result order).
  const pos = lists.map((list) => {
    if (after === undefined) return 0;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const h = list[mid]!;
      if (before(after.score, after.id, score(h), h.id)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  });
  const best: SearchHit[] = [];
  while (best.length < keep) {
    let pick = -1;
    let pickHit: StoredHit | undefined;
    for (let i = 0; i < lists.length; i++) {
      const list = lists[i]!;
      let p = pos[i]!;
      while (p < list.length && priceOk !== undefined && !priceOk(list[p]!.priceMinor)) p++;
      pos[i] = p;
      const h = list[p];
      if (h !== undefined && (pickHit === undefined || before(score(h), h.id, score(pickHit), pickHit.id))) {
        pick = i;
        pickHit = h;
      }
    }
    if (pickHit === undefined) break;
    pos[pick] = pos[pick]! + 1;
    best.push(toHit(pickHit, 1, score(pickHit)));
  }
  return { best, total, shards: lists.length };
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
