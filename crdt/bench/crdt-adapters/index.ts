import type { CartAdapter, LibName } from '../crdt-adapter.js';
import { automergeAdapter } from './automerge.js';
import { cartwheelAdapter } from './cartwheel.js';
import { yjsAdapter } from './yjs.js';

export const ADAPTERS: Readonly<Record<LibName, CartAdapter>> = {
  cartwheel: cartwheelAdapter,
  automerge: automergeAdapter,
  yjs: yjsAdapter,
};
