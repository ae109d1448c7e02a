/**
 * The replicated cart type with every decode failure reported. The replication core decodes the
 * stored and replicated states it reads; a reply it cannot decode is dropped (the read then ends in
 * QUORUM_NOT_MET at the request timeout), so without this a cart whose stored state no longer
 * decodes fails every read with no trace of why. The wrapper changes nothing else: the error is
 * rethrown unchanged after `onFailure` saw it.
 */
import type { ReplicatedType } from '@cartwheel/crdt';

export function observeDecodeFailures<S, Op>(
  type: ReplicatedType<S, Op>,
  onFailure: (err: unknown, byteLength: number) => void,
): ReplicatedType<S, Op> {
  return {
    ...type,
    decode(bytes: Uint8Array): S {
      try {
        return type.decode(bytes);
      } catch (err) {
        onFailure(err, bytes.byteLength);
        throw err;
      }
    },
  };
}
