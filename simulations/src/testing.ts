// `@cartwheel/simulations/testing`: the deterministic simulation substrate, for other packages'
// tests that want a seeded network, clock and disk (it implements the crdt interfaces).
export { createSimClock } from './sim/clock.js';
export { SimHost, WALL_CLOCK_EPOCH } from './sim/host.js';
export { DEFAULT_LATENCY, type LatencyModel, type LinkFaults, SimNetwork } from './sim/network.js';
export { Prng } from './sim/prng.js';
export { type SimTimer, Simulator } from './sim/simulator.js';
export { SimDisk } from './sim/storage.js';
