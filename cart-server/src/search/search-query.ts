import { z } from 'zod';
import { CATEGORY_PATTERN, MAX_PRICE_MINOR, type ProductSummary } from '../catalog/product.js';
import { InvalidCursorError, InvalidSearchQueryError } from './errors.js';

export const MAX_QUERY_CHARS = 200;
export const MAX_PAGE_SIZE = 100;

export interface SearchQuery {
  /** Free text; empty or absent browses (ranked by popularity). */
  readonly q?: string;
  readonly categories?: readonly string[];
  readonly minPrice?: number;
  readonly maxPrice?: number;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface SearchHit extends ProductSummary {
  /** Final rank: relevance × (1 + popularity). */
  readonly score: number;
  readonly relevance: number;
  readonly popularity: number;
}

export interface SearchPage {
  readonly items: SearchHit[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  readonly nextCursor?: string;
  /** Total matches of the query (all pages). */
  readonly total: number;
  readonly generation: string;
  readonly shardsQueried: number;
  /** Set when nothing matched `q` and the results are for this typo-corrected query instead. */
  readonly correctedQuery?: string;
}

export const searchQuerySchema = z
  .object({
    q: z.string().max(MAX_QUERY_CHARS).optional(),
    categories: z.array(z.string().regex(CATEGORY_PATTERN)).max(50).optional(),
    minPrice: z.number().int().min(0).max(MAX_PRICE_MINOR).optional(),
    maxPrice: z.number().int().min(0).max(MAX_PRICE_MINOR).optional(),
    limit: z.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
    cursor: z.string().max(512).optional(),
  })
  .strict();

export function validateSearchQuery(query: SearchQuery): SearchQuery {
  const r = searchQuerySchema.safeParse(query);
  if (!r.success) throw new InvalidSearchQueryError(`invalid search: ${r.error.issues[0]?.message ?? ''}`);
  if (r.data.minPrice !== undefined && r.data.maxPrice !== undefined && r.data.minPrice > r.data.maxPrice) {
    throw new InvalidSearchQueryError('minPrice is greater than maxPrice');
  }
  return r.data;
}

/**
 * Keyset cursor: the (score, id) of the last hit, the generation the page came from (so later
 * pages read the same index even across a promotion) and a fingerprint of the query (a cursor
 * cannot be replayed against another query).
 */
export interface Cursor {
  readonly g: string;
  readonly s: number;
  readonly i: string;
  readonly f: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([1, c.g, c.s, c.i, c.f])).toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(v) &&
      v.length === 5 &&
      v[0] === 1 &&
      typeof v[1] === 'string' &&
      typeof v[2] === 'number' &&
      Number.isFinite(v[2]) &&
      typeof v[3] === 'string' &&
      typeof v[4] === 'string'
    ) {
      return { g: v[1], s: v[2], i: v[3], f: v[4] };
    }
  } catch {
    // fall through
  }
  throw new InvalidCursorError('malformed cursor');
}

/** The query and filters in canonical form (case, category order): equal keys, equal results. */
export function normalizedQuery(q: SearchQuery): string {
  const cats = q.categories === undefined ? '' : [...q.categories].sort().join(',');
  return `${(q.q ?? '').trim().toLowerCase()}|${cats}|${q.minPrice ?? ''}|${q.maxPrice ?? ''}`;
}

export function fingerprint(q: SearchQuery): string {
  const text = normalizedQuery(q);
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h.toString(36);
}
