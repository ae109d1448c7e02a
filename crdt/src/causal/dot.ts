/**
 * A dot is a unique event tag: the `counter`-th event minted by `actor` (Almeida, Shoker, Baquero,
 * "Delta State Replicated Data Types", §6). Every cart action carries one.
 */
import { LIMITS } from '../codec/limits.js';
import { isWellFormed } from '../codec/writer.js';

/** Actor identifier: a UUID (v4) for devices, a vnode actor such as "n1#e3" for server nodes. */
export type ActorId = string;

export interface Dot {
  readonly actor: ActorId;
  readonly counter: number;
}

/** Total order on dots: by actor, then counter. Used for deterministic iteration and encoding. */
export function compareDots(a: Dot, b: Dot): number {
  if (a.actor !== b.actor) return a.actor < b.actor ? -1 : 1;
  return a.counter - b.counter;
}

/** Counters are integers in 1..LIMITS.maxCounter (2^48), so every codec can carry them. */
export function isValidCounter(counter: number): boolean {
  return Number.isSafeInteger(counter) && counter >= 1 && counter <= LIMITS.maxCounter;
}

export function assertDot(dot: Dot): void {
  if (typeof dot !== 'object' || dot === null || typeof dot.actor !== 'string' || dot.actor.length === 0) {
    throw new TypeError('a dot needs a non-empty string actor');
  }
  if (!isValidCounter(dot.counter))
    throw new TypeError(`dot counter must be a safe integer >= 1, got ${dot.counter}`);
}

const utf8 = new TextEncoder();

/** Actor ids must fit the codecs: non-empty, at most 128 UTF-8 bytes. Throws TypeError otherwise. */
export function checkActorId(actor: unknown): ActorId {
  if (
    typeof actor !== 'string' ||
    actor.length === 0 ||
    actor.length > LIMITS.maxActorBytes ||
    !isWellFormed(actor) ||
    utf8.encode(actor).length > LIMITS.maxActorBytes
  ) {
    throw new TypeError('an actor id is a non-empty, well-formed string of at most 128 UTF-8 bytes');
  }
  return actor;
}
