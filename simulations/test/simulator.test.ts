import { describe, expect, it } from 'vitest';
import { createSimClock } from '../src/sim/clock.js';
import { SimHost } from '../src/sim/host.js';
import { SimNetwork } from '../src/sim/network.js';
import { Simulator } from '../src/sim/simulator.js';

const NO_JITTER = { minMs: 1, medianMs: 1, sigma: 0, tailProbability: 0, tailMs: 0 };

function setup(nodes = 3) {
  const sim = new Simulator(1);
  const net = new SimNetwork(sim, NO_JITTER);
  const hosts = Array.from({ length: nodes }, (_, i) => new SimHost(`n${i + 1}`, sim));
  const inbox = new Map<string, string[]>();
  const incarnations = hosts.map((h) => {
    net.addHost(h);
    const inc = h.boot();
    const t = net.transport(h, inc);
    inbox.set(h.id, []);
    t.onMessage((from, m) => inbox.get(h.id)?.push(`${from}:${new TextDecoder().decode(m)}`));
    return { host: h, inc, transport: t };
  });
  const enc = (s: string) => new TextEncoder().encode(s);
  return { sim, net, hosts, inbox, incarnations, enc };
}

describe('Simulator', () => {
  it('runs events in virtual time order and lets promise chains settle between events', async () => {
    const sim = new Simulator(1);
    const log: string[] = [];
    sim.schedule(10, () => {
      log.push(`a@${sim.now}`);
      void Promise.resolve()
        .then(() => Promise.resolve())
        .then(() => log.push(`a-chain@${sim.now}`));
    });
    sim.schedule(10, () => log.push(`b@${sim.now}`));
    sim.schedule(5, () => log.push(`c@${sim.now}`));
    await sim.runUntil(100);
    expect(log).toEqual(['c@5', 'a@10', 'a-chain@10', 'b@10']);
    expect(sim.now).toBe(100);
  });

  it('settles deep chains, async functions and chains started in microtasks before the next event', async () => {
    const sim = new Simulator(1);
    const log: string[] = [];
    const hop = async (n: number): Promise<number> => (n === 0 ? 0 : 1 + (await hop(n - 1)));
    sim.schedule(1, () => {
      void hop(200).then((depth) => log.push(`deep ${depth}`));
      queueMicrotask(() => {
        void Promise.all([hop(3), Promise.resolve().then(() => hop(5))]).then(() => {
          log.push('nested');
          sim.schedule(0, () => log.push('scheduled from a microtask'));
        });
      });
    });
    sim.schedule(1, () => log.push('next event'));
    await sim.runUntil(10);
    expect(log.slice(0, 2).sort()).toEqual(['deep 200', 'nested']);
    expect(log.slice(2)).toEqual(['next event', 'scheduled from a microtask']);
    expect(sim.events).toBe(3);
  });

  it('stops early when asked, and a cancelled event never runs', async () => {
    const sim = new Simulator(1);
    const log: number[] = [];
    const cancelled = sim.schedule(2, () => log.push(2));
    for (const t of [1, 3, 4, 5]) sim.schedule(t, () => log.push(t));
    cancelled.cancel();
    await sim.runUntil(100, () => log.length === 2);
    expect(log).toEqual([1, 3]);
    expect(sim.now).toBe(3);
    await sim.runUntil(100);
    expect(log).toEqual([1, 3, 4, 5]);
    expect(sim.now).toBe(100);
  });
});

describe('SimNetwork', () => {
  it('delivers after the latency, and cut links (even one-way) drop messages', async () => {
    const { sim, net, inbox, incarnations, enc } = setup();
    const [a, b] = incarnations;
    a?.transport.send('n2', enc('hi'));
    await sim.runUntil(0.5);
    expect(inbox.get('n2')).toEqual([]);
    await sim.runUntil(5);
    expect(inbox.get('n2')).toEqual(['n1:hi']);
    net.setCut([['n1', 'n2']]);
    a?.transport.send('n2', enc('lost'));
    b?.transport.send('n1', enc('back'));
    await sim.runUntil(10);
    expect(inbox.get('n2')).toEqual(['n1:hi']);
    expect(inbox.get('n1')).toEqual(['n2:back']);
    net.heal();
    a?.transport.send('n2', enc('again'));
    await sim.runUntil(15);
    expect(inbox.get('n2')).toEqual(['n1:hi', 'n1:again']);
  });

  it('loses and duplicates messages at the configured rates', async () => {
    const { sim, net, inbox, incarnations, enc } = setup(2);
    net.faults.loss = 0.5;
    for (let i = 0; i < 1000; i++) incarnations[0]?.transport.send('n2', enc(String(i)));
    await sim.runUntil(100);
    const got = inbox.get('n2')?.length ?? 0;
    expect(got).toBeGreaterThan(400);
    expect(got).toBeLessThan(600);
    net.faults.loss = 0;
    net.faults.duplicate = 1;
    inbox.set('n2', []);
    incarnations[0]?.transport.send('n2', enc('x'));
    await sim.runUntil(200);
    expect(inbox.get('n2')).toEqual(['n1:x', 'n1:x']);
  });

  it('reorders messages when the reorder fault is on', async () => {
    const { sim, net, inbox, incarnations, enc } = setup(2);
    net.faults.reorder = 0.5;
    net.faults.reorderMs = 100;
    for (let i = 0; i < 50; i++) incarnations[0]?.transport.send('n2', enc(String(i).padStart(2, '0')));
    await sim.runUntil(500);
    const got = inbox.get('n2') ?? [];
    expect(got).toHaveLength(50);
    expect(got).not.toEqual([...got].sort());
  });
});

describe('SimHost', () => {
  it('a crash drops the process: its timers and messages never run, a new incarnation starts clean', async () => {
    const { sim, net, hosts, inbox, incarnations, enc } = setup(2);
    const host = hosts[1] as SimHost;
    const clock = createSimClock(host, incarnations[1]?.inc ?? 0);
    let fired = 0;
    clock.setTimeout(10, () => fired++);
    incarnations[0]?.transport.send('n2', enc('in-flight'));
    host.crash(false);
    await sim.runUntil(50);
    expect(fired).toBe(0);
    expect(inbox.get('n2')).toEqual([]);
    const inc = host.boot();
    net.transport(host, inc).onMessage((from) => inbox.get('n2')?.push(`new:${from}`));
    incarnations[0]?.transport.send('n2', enc('after'));
    await sim.runUntil(60);
    expect(inbox.get('n2')).toEqual(['new:n1']);
  });

  it('a pause holds timers and deliveries until resume', async () => {
    const { sim, hosts, inbox, incarnations, enc } = setup(2);
    const host = hosts[1] as SimHost;
    const clock = createSimClock(host, incarnations[1]?.inc ?? 0);
    let firedAt = -1;
    clock.setTimeout(10, () => {
      firedAt = sim.now;
    });
    host.pause();
    incarnations[0]?.transport.send('n2', enc('held'));
    await sim.runUntil(100);
    expect(firedAt).toBe(-1);
    expect(inbox.get('n2')).toEqual([]);
    host.resume();
    await sim.runUntil(101);
    expect(firedAt).toBe(100);
    expect(inbox.get('n2')).toEqual(['n1:held']);
  });

  it('clock skew moves the wall clock, even backwards, while timers keep virtual time', async () => {
    const { sim, hosts, incarnations } = setup(1);
    const host = hosts[0] as SimHost;
    const clock = createSimClock(host, incarnations[0]?.inc ?? 0);
    const t0 = clock.now();
    host.clockOffset = -60_000;
    expect(clock.now()).toBe(t0 - 60_000);
    let at = -1;
    clock.setTimeout(5, () => {
      at = sim.now;
    });
    await sim.runUntil(10);
    expect(at).toBe(5);
  });
});

describe('SimDisk', () => {
  it('resolves a write only once durable; a crash keeps synced writes and can lose unsynced ones', async () => {
    const sim = new Simulator(1);
    const host = new SimHost('n1', sim);
    const inc = host.boot();
    const storage = host.disk.open(inc);
    let durable = false;
    sim.schedule(0, () => {
      void Promise.resolve(storage.put('data', 3, 'k', new Uint8Array([1]))).then(() => {
        durable = true;
      });
    });
    await sim.runUntil(0);
    expect(host.disk.read('data', 3, 'k')).toEqual(new Uint8Array([1]));
    expect(durable).toBe(false);
    await sim.runUntil(1);
    expect(durable).toBe(true);
    sim.schedule(0, () => {
      void storage.put('data', 3, 'k', new Uint8Array([2]));
      void storage.put('data', 3, 'j', new Uint8Array([9]));
    });
    await sim.runUntil(1);
    host.crash(true);
    expect(host.disk.read('data', 3, 'k')).toEqual(new Uint8Array([1]));
    expect(host.disk.read('data', 3, 'j')).toBeUndefined();
    const next = host.disk.open(host.boot());
    expect(await next.partitions('data')).toEqual([3]);
    const entries: string[] = [];
    for await (const [key] of next.entries('data', 3)) entries.push(key);
    expect(entries).toEqual(['k']);
  });

  it("a dead incarnation's storage calls never complete", async () => {
    const sim = new Simulator(1);
    const host = new SimHost('n1', sim);
    const storage = host.disk.open(host.boot());
    host.crash(false);
    let settled = false;
    void storage.get('data', 0, 'k').finally(() => {
      settled = true;
    });
    await sim.runUntil(10);
    expect(settled).toBe(false);
  });
});
