// Harnesses other packages (and the cart server's tests) reuse: the OrderLog conformance suite
// and in-memory ports. Not part of the runtime API.
export { InMemoryCartPort, InMemoryCatalogPort } from './fakes.js';
export { describeOrderLogConformance, type OrderLogHarness } from './log/order-log-conformance.js';
