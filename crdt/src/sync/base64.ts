/**
 * Base64 for byte payloads inside JSON sync frames. `btoa`/`atob` exist in browsers and in
 * Node ≥ 16, so neither end needs Node's Buffer (and a browser bundle carries no polyfill).
 */
const CHUNK = 0x8000;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  // String.fromCharCode(...bytes) overflows the call stack on large arrays: go in chunks.
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/** Undefined for text that is not canonical, padded base64 (callers raise their own error). */
export function base64ToBytes(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
