/**
 * `@cartwheel/cart-server/testing`: what tests of the cart server — and of apps and clients
 * built on it — reuse. Not part of the runtime API.
 * - Real server processes on loopback (`createServer`, `createCluster`, `api`, `token`, `waitFor`).
 * - The OrderLog conformance suite and in-memory order ports (`describeOrderLogConformance`).
 */
export {
  describeOrderLogConformance,
  InMemoryCartPort,
  InMemoryCatalogPort,
  type OrderLogHarness,
} from './orders/testing.js';
export * from './testing/server-process.js';
