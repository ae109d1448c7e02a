/**
 * The control's messages. Values travel as the bytes they are stored in (`encodeLww`), after a
 * one-line JSON header, so a replica stores, serves and gossips a cart without parsing or
 * re-encoding it; only a coordinator that needs the cart's lines decodes it.
 */
import { frameText, readText } from './text.js';

export type LwwMessage =
  | { readonly t: 'get'; readonly id: number; readonly key: string }
  /** `value`: the stored bytes, or null when the replica holds nothing. */
  | { readonly t: 'got'; readonly id: number; readonly value: Uint8Array | null }
  | { readonly t: 'put'; readonly id: number; readonly key: string; readonly value: Uint8Array }
  | { readonly t: 'ack'; readonly id: number }
  | { readonly t: 'ae'; readonly key: string; readonly value: Uint8Array }
  /** Anti-entropy digest: only the version travels; the newer side then pushes the value. */
  | { readonly t: 'ae-digest'; readonly key: string; readonly ts: number; readonly writer: string };

const NEWLINE = 10;

/** The JSON head: every field but the value, which it flags (1) or marks absent (0). */
function headOf(m: LwwMessage): string {
  switch (m.t) {
    case 'get':
      return JSON.stringify({ t: m.t, id: m.id, key: m.key, value: 0 });
    case 'got':
      return JSON.stringify({ t: m.t, id: m.id, value: m.value === null ? 0 : 1 });
    case 'put':
      return JSON.stringify({ t: m.t, id: m.id, key: m.key, value: 1 });
    case 'ack':
      return JSON.stringify({ t: m.t, id: m.id, value: 0 });
    case 'ae':
      return JSON.stringify({ t: m.t, key: m.key, value: 1 });
    case 'ae-digest':
      return JSON.stringify({ t: m.t, key: m.key, ts: m.ts, writer: m.writer, value: 0 });
  }
}

/** `header JSON` + "\n" + value bytes (when the message carries a value). */
export function encodeLwwMessage(m: LwwMessage): Uint8Array {
  const value = 'value' in m ? m.value : null;
  return frameText(`${headOf(m)}\n`, value ?? undefined);
}

/** The message, or undefined when the bytes are not one. */
export function decodeLwwMessage(bytes: Uint8Array): LwwMessage | undefined {
  const end = bytes.indexOf(NEWLINE);
  if (end < 0) return undefined;
  let head: unknown;
  try {
    head = JSON.parse(readText(bytes.subarray(0, end)));
  } catch {
    return undefined;
  }
  if (typeof head !== 'object' || head === null || !('t' in head)) return undefined;
  const h = head as Record<string, unknown>;
  if (h.value === 1) return { ...h, value: bytes.subarray(end + 1) } as LwwMessage;
  if (h.t === 'got') return { ...h, value: null } as LwwMessage;
  const { value: _, ...rest } = h;
  return rest as LwwMessage;
}
