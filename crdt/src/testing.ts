// `@cartwheel/crdt/testing`: harnesses and conformance suites other packages reuse.

export * from './replication/testing.js';
