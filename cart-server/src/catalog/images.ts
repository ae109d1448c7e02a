/**
 * Product images on an origin path behind a CDN: every image is addressed by the SHA-256 of its
 * bytes (`/v1/images/<hash>.<ext>`), so a URL names one immutable blob forever. Responses carry
 * `Cache-Control: public, max-age=31536000, immutable` and a strong ETag (the hash); a changed
 * image gets a new URL instead of a purge. Blobs live in LevelDB (sublevel `images`).
 */
import { createHash } from 'node:crypto';
import type { LevelLike } from '../storage/level-types.js';
import { CatalogError, ImageNotFoundError, PayloadTooLargeError } from './errors.js';

export const MAX_IMAGE_BYTES = 2 * 1024 * 1024;
export const IMAGE_PATH_PREFIX = '/v1/images/';
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

const TYPES: Readonly<Record<string, string>> = {
  'image/svg+xml': 'svg',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/avif': 'avif',
};
const EXT_TYPES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(TYPES).map(([type, ext]) => [ext, type]),
);
const NAME_PATTERN = /^([0-9a-f]{32})\.([a-z]{3,4})$/;

export interface StoredImage {
  readonly hash: string;
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}

/** The URL an image will have once stored: a pure function of its bytes and type. */
export function imageUrlFor(bytes: Uint8Array, contentType: string): string {
  const ext = TYPES[contentType];
  if (ext === undefined) throw new TypeError(`unsupported image type ${contentType}`);
  return `${IMAGE_PATH_PREFIX}${contentHash(bytes)}.${ext}`;
}

export class ImageStore {
  readonly #db: LevelLike;
  /** Decoded hot images; bounded by count (placeholder sets are small). */
  readonly #memo = new Map<string, StoredImage>();

  constructor(db: LevelLike) {
    this.#db = db.sublevel('images', { valueEncoding: 'utf8' });
  }

  async put(bytes: Uint8Array, contentType: string): Promise<{ url: string; hash: string }> {
    if (TYPES[contentType] === undefined) {
      throw new CatalogError('INVALID_IMAGE_TYPE', `unsupported image type ${JSON.stringify(contentType)}`);
    }
    if (bytes.byteLength === 0) throw new CatalogError('INVALID_IMAGE', 'empty image');
    if (bytes.byteLength > MAX_IMAGE_BYTES) {
      throw new PayloadTooLargeError(`image larger than ${MAX_IMAGE_BYTES} bytes`);
    }
    const hash = contentHash(bytes);
    const existing = await this.#db.get(hash);
    if (existing === undefined) {
      await this.#db.put(
        hash,
        JSON.stringify({ type: contentType, data: Buffer.from(bytes).toString('base64') }),
      );
    }
    return { url: imageUrlFor(bytes, contentType), hash };
  }

  /** Looks up `<hash>.<ext>`; the extension must match the stored type. */
  async get(name: string): Promise<StoredImage> {
    const match = NAME_PATTERN.exec(name);
    if (match === null) throw new ImageNotFoundError(name.slice(0, 80));
    const [, hash, ext] = match as unknown as [string, string, string];
    const memo = this.#memo.get(hash);
    if (memo !== undefined && EXT_TYPES[ext] === memo.contentType) return memo;
    const raw = await this.#db.get(hash);
    if (raw === undefined) throw new ImageNotFoundError(name);
    const parsed = JSON.parse(raw) as { type: string; data: string };
    if (EXT_TYPES[ext] !== parsed.type) throw new ImageNotFoundError(name);
    const image: StoredImage = { hash, contentType: parsed.type, bytes: Buffer.from(parsed.data, 'base64') };
    if (this.#memo.size >= 1000) this.#memo.delete(this.#memo.keys().next().value as string);
    this.#memo.set(hash, image);
    return image;
  }
}
