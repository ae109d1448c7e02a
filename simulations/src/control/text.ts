/**
 * UTF-8 helpers for the control's small text headers ("ts|writer", a message's JSON head).
 * Headers are short and nearly always ASCII; for those a plain loop beats a TextEncoder or
 * TextDecoder call (and its extra buffer) by a wide margin, and anything else takes the
 * standard path.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Longest input the ASCII loop handles; longer text goes straight to TextDecoder. */
const SHORT = 256;

export function readText(bytes: Uint8Array): string {
  if (bytes.length > SHORT) return decoder.decode(bytes);
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b >= 0x80) return decoder.decode(bytes);
    s += String.fromCharCode(b);
  }
  return s;
}

/** `text` as UTF-8 followed by `tail`, in one allocation. */
export function frameText(text: string, tail?: Uint8Array): Uint8Array {
  const tailLength = tail?.length ?? 0;
  let ascii = text.length <= SHORT;
  for (let i = 0; ascii && i < text.length; i++) if (text.charCodeAt(i) >= 0x80) ascii = false;
  let out: Uint8Array;
  let at: number;
  if (ascii) {
    out = new Uint8Array(text.length + tailLength);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    at = text.length;
  } else {
    const head = encoder.encode(text);
    out = new Uint8Array(head.length + tailLength);
    out.set(head, 0);
    at = head.length;
  }
  if (tail !== undefined) out.set(tail, at);
  return out;
}
