// Public entry of @cartwheel/crdt. Keep this list curated: everything exported here is API.

export * from './replication/index.js';
