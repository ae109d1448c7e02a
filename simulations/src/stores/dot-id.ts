/**
 * Write ids of causal stores are dots, "actor@counter" (the crdt's actor ids never contain '@';
 * the counter is the part after the last one).
 */
export function dotId(actor: string, counter: number): string {
  return `${actor}@${counter}`;
}

/** The dot a write id names, or undefined when the id is not a dot (the LWW control's ids). */
export function parseDotId(id: string): { readonly actor: string; readonly counter: number } | undefined {
  const at = id.lastIndexOf('@');
  if (at <= 0) return undefined;
  const counter = Number(id.slice(at + 1));
  if (!Number.isSafeInteger(counter) || counter < 1) return undefined;
  return { actor: id.slice(0, at), counter };
}
