/**
 * Deterministic placeholder artwork (small SVGs) for generated and demo products: one per
 * category × variant. Their URLs are content hashes, so the generator can name them without a
 * store and the server stores the same bytes at start (`ensurePlaceholderImages`).
 */

import type { ImageStore } from '../images.js';
import { imageUrlFor } from '../images.js';

export const PLACEHOLDER_VARIANTS = 4;
const PALETTE = ['#2f6f8f', '#8f4a2f', '#3f8f5a', '#6a4a8f', '#8f7a2f', '#2f8f86'];

export function placeholderSvg(categoryName: string, variant: number): Uint8Array {
  let h = 0;
  for (const ch of categoryName) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const bg = PALETTE[(h + variant) % PALETTE.length];
  const label = categoryName.replace(/[<>&"']/g, '');
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240" viewBox="0 0 320 240">` +
    `<rect width="320" height="240" fill="${bg}"/>` +
    `<circle cx="${80 + variant * 50}" cy="120" r="${40 + variant * 6}" fill="#ffffff" fill-opacity="0.18"/>` +
    `<text x="160" y="128" font-family="sans-serif" font-size="22" fill="#fff" text-anchor="middle">${label}</text>` +
    `</svg>`;
  return new TextEncoder().encode(svg);
}

export function placeholderUrl(categoryName: string, variant: number): string {
  return imageUrlFor(placeholderSvg(categoryName, variant), 'image/svg+xml');
}

export async function ensurePlaceholderImages(
  images: ImageStore,
  categoryNames: readonly string[],
): Promise<void> {
  for (const name of categoryNames) {
    for (let v = 0; v < PLACEHOLDER_VARIANTS; v++) await images.put(placeholderSvg(name, v), 'image/svg+xml');
  }
}
