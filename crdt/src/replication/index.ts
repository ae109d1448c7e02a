export type {
  Clock,
  NodeId,
  Random,
  ReplicatedType,
  Storage,
  StorageBatchOp,
  TimerHandle,
  Transport,
} from './interfaces.js';
