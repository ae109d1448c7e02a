/**
 * The node's vnode actor and its persisted epoch (Riak kv679): dots minted by this node carry
 * the actor `${node}#e${epoch}.${tag}`. The epoch is stored in the `meta` namespace; a node
 * that starts on storage without one (new, or data lost) begins a fresh epoch with a random tag,
 * so it can never reuse a dot an earlier incarnation already handed out. The epoch is also bumped
 * when the node loses ownership of a partition, since the data it then deletes held its dots.
 */

import { Writer } from '../../codec/writer.js';
import type { NodeId, Random, Storage } from '../interfaces.js';
import { readWire } from '../wire/messages.js';

export const META_NS = 'meta';
const EPOCH_KEY = 'epoch';

export interface Epoch {
  readonly counter: number;
  readonly tag: string;
}

export function actorOf(node: NodeId, e: Epoch): string {
  return `${node}#e${e.counter}.${e.tag}`;
}

function randomTag(random: Random): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += Math.floor(random.next() * 36).toString(36);
  return s;
}

export async function loadEpoch(storage: Storage, random: Random): Promise<Epoch> {
  const bytes = await storage.get(META_NS, 0, EPOCH_KEY);
  if (bytes !== undefined) {
    return readWire(bytes, 'epoch', (r) => {
      const e = { counter: r.varuint(), tag: r.string(64) };
      r.end();
      return e;
    });
  }
  const e = { counter: 1, tag: randomTag(random) };
  await saveEpoch(storage, e);
  return e;
}

export async function bumpEpoch(storage: Storage, random: Random, old: Epoch): Promise<Epoch> {
  const e = { counter: old.counter + 1, tag: randomTag(random) };
  await saveEpoch(storage, e);
  return e;
}

async function saveEpoch(storage: Storage, e: Epoch): Promise<void> {
  await storage.put(META_NS, 0, EPOCH_KEY, new Writer(16).varuint(e.counter).string(e.tag).finish());
}
