// Public entry of @cartwheel/simulations: run seeds programmatically, as the CLI does.
export { type CheckInput, checkAll, type Violation } from './checkers/checkers.js';
export { History, type HistoryOp, type OpOutcome } from './history/history.js';
export { NEMESES, type NemesisName, parseNemeses } from './nemesis/nemesis.js';
export { DEFAULT_CONFIG, replayArgs, type SimConfig, type StoreName, validateConfig } from './run/config.js';
export { runPair } from './run/run-pair.js';
export {
  runSeed,
  type SeedResult,
  type StoreFactory,
  VIOLATION_KINDS,
  type ViolationCounts,
} from './run/run-seed.js';
export { type SeedPair, type SweepSummary, summarize, toJson } from './run/summary.js';
export { type SweepOptions, sweep } from './run/sweep.js';
export { controlStore, storeFactory } from './stores/index.js';
export type { CausalStamp, SimStore, StoreNode, VersionVector } from './stores/store.js';
