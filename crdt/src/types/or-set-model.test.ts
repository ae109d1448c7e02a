import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ORSet } from './or-set.js';

/**
 * riak_dt checks its ORSWOT against a naive OR-Set with tombstones; so do we. The model keeps every
 * (element, tag) ever added and every tag ever removed; an element is present iff it has a tag not
 * in the tombstones. Replicas exchange whole states, so the model's merge is a plain union.
 */
class TombstoneORSet {
  adds = new Map<string, Set<string>>();
  tombstones = new Set<string>();
  #n = 0;
  constructor(readonly actor: string) {}
  add(e: string): void {
    // ORSWOT's add replaces the dots it observed; the model does the same with tombstones
    for (const t of this.adds.get(e) ?? []) this.tombstones.add(t);
    const tag = `${this.actor}:${++this.#n}`;
    const s = this.adds.get(e) ?? new Set<string>();
    s.add(tag);
    this.adds.set(e, s);
  }
  remove(e: string): void {
    for (const t of this.adds.get(e) ?? []) this.tombstones.add(t);
  }
  merge(o: TombstoneORSet): void {
    for (const [e, tags] of o.adds) {
      const s = this.adds.get(e) ?? new Set<string>();
      for (const t of tags) s.add(t);
      this.adds.set(e, s);
    }
    for (const t of o.tombstones) this.tombstones.add(t);
  }
  values(): string[] {
    return [...this.adds]
      .filter(([, tags]) => [...tags].some((t) => !this.tombstones.has(t)))
      .map(([e]) => e)
      .sort();
  }
}

type Cmd = { at: number; add: string } | { at: number; remove: string } | { from: number; to: number };
const el = fc.constantFrom('a', 'b', 'c');
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ at: fc.nat(2), add: el }),
  fc.record({ at: fc.nat(2), remove: el }),
  fc.record({ from: fc.nat(2), to: fc.nat(2) }),
);

describe('OR-Set against a naive tombstone OR-Set model', () => {
  it('shows the same set as the model on every replica after every step of random histories', () => {
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 60 }), (cmds) => {
        const sets = [0, 1, 2].map((i) => ORSet.create(`r${i}`));
        const models = [0, 1, 2].map((i) => new TombstoneORSet(`r${i}`));
        for (const c of cmds) {
          if ('add' in c) {
            sets[c.at]!.add(c.add);
            models[c.at]!.add(c.add);
          } else if ('remove' in c) {
            sets[c.at]!.remove(c.remove);
            models[c.at]!.remove(c.remove);
          } else if (c.from !== c.to) {
            sets[c.to]!.merge(sets[c.from]!);
            models[c.to]!.merge(models[c.from]!);
          }
          for (let i = 0; i < 3; i++) expect(sets[i]!.values()).toEqual(models[i]!.values());
        }
        // and after full sync everything agrees
        for (const i of [0, 1, 2]) for (const j of [0, 1, 2]) sets[i]!.merge(sets[j]!);
        for (const i of [0, 1, 2]) for (const j of [0, 1, 2]) models[i]!.merge(models[j]!);
        for (let i = 0; i < 3; i++) expect(sets[i]!.values()).toEqual(models[0]!.values());
      }),
      { numRuns: 200 },
    );
  });

  it('keeps no tombstones: state size depends on present elements, not on history', () => {
    const s = ORSet.create('a');
    for (let i = 0; i < 1000; i++) {
      s.add(`e${i % 10}`);
      if (i % 3 === 0) s.remove(`e${i % 10}`);
    }
    expect(s.dots().length).toBe(s.size);
    expect(s.context().intervalCount()).toBeLessThanOrEqual(s.size + 1);
  });
});
