// Harnesses other packages (and this package's browser tests) reuse.
export { type ConformanceCase, replicaStoreConformance, type StoreFactory } from './store/conformance.js';
