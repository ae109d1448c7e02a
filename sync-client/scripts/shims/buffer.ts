/**
 * Browser stand-in for Node's `buffer` module. abstract-level and level-transcoder import it
 * only to recognise Buffers and to build sublevel prefixes; this package uses plain Uint8Array
 * values and no sublevels, so the 25 KB `buffer` polyfill would be dead weight in the bundle.
 */
export const Buffer = { isBuffer: (_value: unknown): boolean => false };
