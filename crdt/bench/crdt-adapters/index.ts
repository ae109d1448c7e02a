import type { CartAdapter, LibName } from '../crdt-adapter.js';
import { automergeAdapter } from './automerge.js';
import { yjsAdapter } from './yjs.js';

export const ADAPTERS: Readonly<Partial<Record<LibName, CartAdapter>>> = {
  automerge: automergeAdapter,
  yjs: yjsAdapter,
};
