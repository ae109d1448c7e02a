/**
 * Head-noun relevance: in an English product title the last noun of the main phrase names what
 * the product *is* ("Norvik Compact Phone Case A3, Black" is a case; "… Smartphone, Red" is a
 * phone). A shopper searching "phone" wants phones before phone cases, yet BM25 scores the case
 * far higher: its title holds the word itself, while the smartphone only matches through its
 * category word "phones", which every document of the shard holds (IDF ≈ 0). No multiplier
 * bridges that gap for every catalog, so a head-noun match is a rank tier: its score is
 * HEAD_NOUN_TIER + relevance × (1 + popularity), above every hit that only mentions the word;
 * within a tier BM25 and popularity order as before (a function score in the manner of
 * Elasticsearch's function_score with boost_mode "sum", applied after the shards' BM25).
 */
import { type StoredHit, tokenize } from './sharded-index.js';

/** Above any BM25 × (1 + popularity) a shard produces (field boosts ≤ 3, a query ≤ 200 chars). */
export const HEAD_NOUN_TIER = 1_000_000;

/** A model code or size, not a noun: "A3", "X100", "500ml", "2-pack". */
const NOT_A_NOUN = /\d/;

/**
 * The head noun of a title, lower-cased: the last word of the part before the first comma
 * (after the comma come variants: colour, size), skipping model codes. '' when none.
 */
export function headNoun(title: string): string {
  const comma = title.indexOf(',');
  const main = comma === -1 ? title : title.slice(0, comma);
  const words = tokenize(main);
  for (let i = words.length - 1; i >= 0; i--) {
    const w = words[i]!;
    if (!NOT_A_NOUN.test(w)) return w.toLowerCase();
  }
  return '';
}

const plurals = (w: string): string[] => [w, `${w}s`, `${w}es`];

/** True when `term` (lower-cased) names `head`: the same word, a plural of it, or a compound's last part. */
export function namesHead(term: string, head: string): boolean {
  if (term.length < 2 || head === '') return false;
  if (plurals(term).includes(head) || plurals(head).includes(term)) return true;
  // A closed compound ("smartphone" for "phone"): the head ends with the term (or its plural).
  return term.length >= 4 && head.length > term.length + 2 && plurals(term).some((t) => head.endsWith(t));
}

const heads = new WeakMap<StoredHit, string>();

/** The tier of `hit` under a query of `terms` (lower-cased); head nouns are memoised per hit. */
export function headNounTier(terms: readonly string[], hit: StoredHit): number {
  let head = heads.get(hit);
  if (head === undefined) {
    head = headNoun(hit.title);
    heads.set(hit, head);
  }
  for (const t of terms) if (namesHead(t, head)) return HEAD_NOUN_TIER;
  return 0;
}
