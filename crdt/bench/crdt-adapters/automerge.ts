// Automerge 3 adapter: one document whose root map is productId → quantity; one
// Automerge.change per op. Deltas are compressed change runs (saveSince / loadIncremental),
// the fastest sync path measured here (see the report for the comparison with
// getChangesSince / applyChanges).
import * as Automerge from '@automerge/automerge';
import type { CartAdapter, CartReplica } from '../crdt-adapter.js';
import { Prng, type WorkloadOp } from '../crdt-workload.js';

type CartDoc = Record<string, number>;

const HASH_BYTES = 32;

function actorFor(seed: number): string {
  const rng = new Prng(seed);
  return Array.from({ length: 4 }, () => rng.nextUint32().toString(16).padStart(8, '0')).join('');
}

function encodeHeads(heads: readonly string[]): Uint8Array {
  return Uint8Array.from(Buffer.from(heads.join(''), 'hex'));
}

function decodeHeads(bytes: Uint8Array): string[] {
  if (bytes.length % HASH_BYTES !== 0) throw new TypeError('automerge heads must be 32-byte hashes');
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  const heads: string[] = [];
  for (let i = 0; i < hex.length; i += HASH_BYTES * 2) heads.push(hex.slice(i, i + HASH_BYTES * 2));
  return heads;
}

function mutate(doc: CartDoc, op: WorkloadOp): void {
  if (op.kind === 'remove') delete doc[op.productId];
  else doc[op.productId] = op.quantity;
}

class AutomergeReplica implements CartReplica {
  constructor(
    private doc: Automerge.Doc<CartDoc>,
    /**
     * Heads this replica knows its peer also has (the fork or load point). Automerge heads
     * cannot describe a concurrent peer state on their own (the peer's new heads are unknown
     * here), so, like the `sharedHeads` of Automerge's sync state, the delta starts from the
     * last shared heads plus whichever of the peer's heads are known.
     */
    private readonly sharedHeads: readonly string[],
  ) {}

  apply(op: WorkloadOp): void {
    this.doc = Automerge.change(this.doc, (d) => mutate(d, op));
  }

  applyWithDelta(op: WorkloadOp): Uint8Array {
    this.apply(op);
    const change = Automerge.getLastLocalChange(this.doc);
    if (change === undefined) throw new Error('automerge made no change');
    return change;
  }

  fork(actorSeed: number): CartReplica {
    return new AutomergeReplica(
      Automerge.clone(this.doc, { actor: actorFor(actorSeed) }),
      Automerge.getHeads(this.doc),
    );
  }

  version(): Uint8Array {
    return encodeHeads(Automerge.getHeads(this.doc));
  }

  deltaSince(peerVersion: Uint8Array): Uint8Array {
    const peerHeads = decodeHeads(peerVersion);
    const known = peerHeads.filter((h) => Automerge.hasHeads(this.doc, [h]));
    const since = known.length === peerHeads.length ? known : [...new Set([...this.sharedHeads, ...known])];
    return Automerge.saveSince(this.doc, since);
  }

  applyDelta(delta: Uint8Array): void {
    this.doc = Automerge.loadIncremental(this.doc, delta);
  }

  encodeState(): Uint8Array {
    return Automerge.save(this.doc);
  }

  read(): Map<string, number> {
    return new Map(Object.entries(this.doc));
  }
}

export const automergeAdapter: CartAdapter = {
  lib: 'automerge',
  create(actorSeed) {
    return new AutomergeReplica(Automerge.init<CartDoc>({ actor: actorFor(actorSeed) }), []);
  },
  load(state, actorSeed) {
    const doc = Automerge.load<CartDoc>(state, { actor: actorFor(actorSeed) });
    return new AutomergeReplica(doc, Automerge.getHeads(doc));
  },
};
