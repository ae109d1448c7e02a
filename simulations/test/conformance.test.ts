import { storageConformance, transportConformance } from '@cartwheel/crdt/testing';
import { SimHost } from '../src/sim/host.js';
import { SimNetwork } from '../src/sim/network.js';
import { Simulator } from '../src/sim/simulator.js';

/**
 * The crdt package's conformance suites run in real time, so a pump advances virtual time in
 * the background (1 ms of simulated time per turn of the event loop) while they run.
 */
function pumped(): { sim: Simulator; stop: () => void } {
  const sim = new Simulator(99);
  let running = true;
  void (async () => {
    while (running) {
      await sim.runUntil(sim.now + 1);
      await new Promise((r) => setImmediate(r));
    }
  })();
  return {
    sim,
    stop: () => {
      running = false;
    },
  };
}

const pumps = new Map<object, () => void>();

storageConformance(
  'simulated disk',
  () => {
    const { sim, stop } = pumped();
    const host = new SimHost('n1', sim);
    const storage = host.disk.open(host.boot());
    pumps.set(storage, stop);
    return storage;
  },
  (storage) => {
    pumps.get(storage)?.();
    pumps.delete(storage);
  },
);

transportConformance('simulated network (no faults)', async () => {
  const { sim, stop } = pumped();
  const net = new SimNetwork(sim);
  const hosts = ['a', 'b'].map((id) => {
    const h = new SimHost(id, sim);
    net.addHost(h);
    return h;
  });
  const [ha, hb] = hosts as [SimHost, SimHost];
  return { a: net.transport(ha, ha.boot()), b: net.transport(hb, hb.boot()), close: stop };
});
