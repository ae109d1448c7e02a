// `@cartwheel/crdt/testing`: harnesses and conformance suites other packages reuse.

export * from './replication/testing/index.js';
export {
  type Command,
  type CrdtHarness,
  historyArb,
  joinAll,
  type RunResult,
  runHistory,
  sampleOps,
} from './testing/harness.js';
export { type PropertyOptions, runPropertySuite } from './testing/properties.js';
export { runScenarioSuite } from './testing/scenarios.js';
export {
  cartHarness,
  cartOpArb,
  cartTypeHarness,
  counterHarness,
  lwwRegisterHarness,
  mvRegisterHarness,
  orMapHarness,
  orSetHarness,
} from './testing/type-harnesses.js';
