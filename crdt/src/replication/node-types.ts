/** Types and argument checks shared by the ReplicaNode and its coordinator. */
import { MAX_KEY_BYTES } from './messages.js';

export interface ReadOptions {
  r?: number;
  pr?: number;
  timeoutMs?: number;
}

export interface WriteOptions {
  w?: number;
  pw?: number;
  timeoutMs?: number;
}

export interface ReplicaCounters {
  gets: number;
  updates: number;
  merges: number;
  forwarded: number;
  quorumErrors: number;
  readRepairs: number;
  aaeExchanges: number;
  aaeRepairs: number;
  handoffItemsSent: number;
  handoffsCompleted: number;
  messagesSent: number;
  messagesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  decodeErrors: number;
}

/** Keys are non-empty strings whose UTF-8 form fits a message (at most 256 UTF-16 units). */
export function validateKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_BYTES / 4) {
    throw new TypeError(`key must be a non-empty string of at most ${MAX_KEY_BYTES / 4} characters`);
  }
}
