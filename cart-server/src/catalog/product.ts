/**
 * The product document: one JSON document per product, keyed by id (the source design's product
 * DB). Validated with zod at every boundary (HTTP, import, store reads of foreign data).
 * Prices are integer minor units (cents) so no float ever touches money; the flat
 * `priceMinor`/`currency` pair matches the cart's `LineMeta` price snapshot.
 */
import { z } from 'zod';
import { InvalidProductError, ProductTooLargeError } from './errors.js';

export const PRODUCT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const CATEGORY_PATTERN = /^[a-z0-9][a-z0-9-]{0,47}$/;
export const MAX_PRICE_MINOR = 1_000_000_000_00;
export const MAX_STOCK = 1_000_000_000;
/** Bound on one serialized product (import lines, PUT bodies). */
export const MAX_PRODUCT_BYTES = 64 * 1024;

/**
 * PostgreSQL cannot hold U+0000 in jsonb or text, and an unpaired surrogate has no UTF-8 form:
 * such a string is refused in every field, whatever the store, so a document the embedded
 * LevelDB accepts is one PostgreSQL accepts too.
 */
const LONE_SURROGATE = /\p{Cs}/u;
const storable = (s: string): boolean => !s.includes('\u0000') && !LONE_SURROGATE.test(s);
const STORABLE_MESSAGE = 'must not contain U+0000 or an unpaired surrogate';
const text = (max: number) => z.string().max(max).refine(storable, STORABLE_MESSAGE);

const imageUrl = z
  .string()
  .max(2048)
  .refine(storable, STORABLE_MESSAGE)
  .refine((u) => /^\/[^\s]*$/.test(u) || /^https?:\/\/[^\s]+$/.test(u), {
    message: 'must be an absolute path or an http(s) URL',
  });

const attributeValue = z.union([text(500), z.number().finite(), z.boolean()]);

export const AVAILABILITY_STATUSES = ['in_stock', 'out_of_stock', 'preorder', 'discontinued'] as const;
export type AvailabilityStatus = (typeof AVAILABILITY_STATUSES)[number];

export const productSchema = z
  .object({
    id: z.string().regex(PRODUCT_ID_PATTERN, 'id: 1-64 chars of [A-Za-z0-9._-], starting alphanumeric'),
    title: z.string().trim().min(1).max(300).refine(storable, STORABLE_MESSAGE),
    description: text(10_000),
    priceMinor: z.number().int().min(0).max(MAX_PRICE_MINOR),
    currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code, e.g. EUR'),
    category: z.string().regex(CATEGORY_PATTERN, 'category: lower-case slug'),
    images: z.array(imageUrl).max(16),
    attributes: z
      .record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/), attributeValue)
      .refine((r) => Object.keys(r).length <= 64, { message: 'at most 64 attributes' }),
    availability: z
      .object({
        status: z.enum(AVAILABILITY_STATUSES),
        stock: z.number().int().min(0).max(MAX_STOCK),
      })
      .strict(),
  })
  .strict();

export type Product = z.infer<typeof productSchema>;

/**
 * Documents that passed the schema in this process. They are frozen, so the mark cannot outlive
 * the checked content: a store skips the schema for them (the importer and the HTTP layer
 * already parsed them) and still checks the encoded size.
 */
const validated = new WeakSet<object>();

/** Parses an untrusted value into a Product or throws InvalidProductError with the zod issues. */
export function parseProduct(value: unknown, where?: string): Product {
  if (typeof value === 'object' && value !== null && validated.has(value)) return value as Product;
  const result = productSchema.safeParse(value);
  if (result.success) return markValidated(result.data);
  const prefix = where === undefined ? '' : `${where}: `;
  throw new InvalidProductError(prefix + describeIssues(result.error.issues), {
    cause: result.error,
    details: result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  });
}

/** Freezes a schema-checked document and remembers that it was checked. */
export function markValidated(product: Product): Product {
  Object.freeze(product.images);
  Object.freeze(product.attributes);
  Object.freeze(product.availability);
  validated.add(Object.freeze(product));
  return product;
}

/** A checked document and the JSON text every store writes (and the cache serves). */
export interface EncodedProduct {
  readonly product: Product;
  readonly json: string;
}

/**
 * Validates and serialises one document for a store: InvalidProductError (400) for a schema
 * violation, ProductTooLargeError (413) when its JSON exceeds MAX_PRODUCT_BYTES in UTF-8.
 */
export function encodeProduct(value: unknown, where?: string): EncodedProduct {
  const product = parseProduct(value, where);
  const json = JSON.stringify(product);
  // A UTF-16 unit takes at most 3 UTF-8 bytes: most documents skip the exact count.
  if (json.length * 3 > MAX_PRODUCT_BYTES && Buffer.byteLength(json) > MAX_PRODUCT_BYTES) {
    const prefix = where === undefined ? '' : `${where}: `;
    throw new ProductTooLargeError(
      `${prefix}product ${JSON.stringify(product.id)} is ${Buffer.byteLength(json)} bytes as JSON; the bound is ${MAX_PRODUCT_BYTES}`,
    );
  }
  return { product, json };
}

export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

export function assertProductId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || !PRODUCT_ID_PATTERN.test(id)) {
    throw new InvalidProductError(`invalid product id ${JSON.stringify(String(id).slice(0, 80))}`);
  }
}

export function isProductId(id: string): boolean {
  return PRODUCT_ID_PATTERN.test(id);
}

/**
 * The "mini description" each search index entry stores, so a result page needs no catalog
 * read (the source design's search index keeps a mini product description per entry).
 */
export interface ProductSummary {
  readonly id: string;
  readonly title: string;
  readonly snippet: string;
  readonly priceMinor: number;
  readonly currency: string;
  readonly category: string;
  readonly image: string | null;
  readonly availability: AvailabilityStatus;
}

export const SNIPPET_CHARS = 140;

export function summarize(p: Product): ProductSummary {
  const snippet =
    p.description.length <= SNIPPET_CHARS ? p.description : `${p.description.slice(0, SNIPPET_CHARS - 1)}…`;
  return {
    id: p.id,
    title: p.title,
    snippet,
    priceMinor: p.priceMinor,
    currency: p.currency,
    category: p.category,
    image: p.images[0] ?? null,
    availability: p.availability.status,
  };
}
