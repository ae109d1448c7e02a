// Yjs 13 adapter: a Y.Doc with one Y.Map productId → quantity; one doc.transact per op.
// Deltas: encodeStateVector / encodeStateAsUpdate(doc, peerStateVector) / applyUpdate (v1
// encoding, the default wire format of y-protocols).
import * as Y from 'yjs';
import type { CartAdapter, CartReplica } from '../crdt-adapter.js';
import { Prng, type WorkloadOp } from '../crdt-workload.js';

const MAP_NAME = 'cart';

/** Yjs client ids are random uint32s; seed them so sizes and tie-breaks are reproducible. */
function clientIdFor(seed: number): number {
  return new Prng(seed).nextUint32();
}

function newDoc(actorSeed: number): Y.Doc {
  const doc = new Y.Doc({ gc: true });
  doc.clientID = clientIdFor(actorSeed);
  return doc;
}

class YjsReplica implements CartReplica {
  private readonly map: Y.Map<number>;

  constructor(private readonly doc: Y.Doc) {
    this.map = doc.getMap<number>(MAP_NAME);
  }

  apply(op: WorkloadOp): void {
    const map = this.map;
    this.doc.transact(() => {
      if (op.kind === 'remove') map.delete(op.productId);
      else map.set(op.productId, op.quantity);
    });
  }

  applyWithDelta(op: WorkloadOp): Uint8Array {
    let update: Uint8Array | undefined;
    const listener = (u: Uint8Array) => {
      update = u;
    };
    this.doc.on('update', listener);
    try {
      this.apply(op);
    } finally {
      this.doc.off('update', listener);
    }
    if (update === undefined) throw new Error('yjs emitted no update');
    return update;
  }

  fork(actorSeed: number): CartReplica {
    const doc = newDoc(actorSeed);
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(this.doc));
    return new YjsReplica(doc);
  }

  version(): Uint8Array {
    return Y.encodeStateVector(this.doc);
  }

  deltaSince(peerVersion: Uint8Array): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc, peerVersion);
  }

  applyDelta(delta: Uint8Array): void {
    Y.applyUpdate(this.doc, delta);
  }

  encodeState(): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc);
  }

  read(): Map<string, number> {
    return new Map(this.map.entries());
  }
}

export const yjsAdapter: CartAdapter = {
  lib: 'yjs',
  create(actorSeed) {
    return new YjsReplica(newDoc(actorSeed));
  },
  load(state, actorSeed) {
    const doc = newDoc(actorSeed);
    Y.applyUpdate(doc, state);
    return new YjsReplica(doc);
  },
};
