import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PreflistEntry } from '../ring/preference-list.js';
import { PutFsm } from './put-fsm.js';

/** The rule written plainly: after each answer, succeed once W (PW primaries) acked, fail once that is out of reach. */
function reference(
  entries: readonly PreflistEntry[],
  w: number,
  pw: number,
  answers: readonly [number, boolean][],
) {
  const primaries = entries.filter((e) => e.kind === 'primary').length;
  if (primaries < pw || entries.length < w) return { outcome: 'fail' as const, after: -1 };
  const seen = new Set<number>();
  let acks = 0;
  let packs = 0;
  for (let k = 0; k < answers.length; k++) {
    const [i, ok] = answers[k]!;
    if (seen.has(i)) continue;
    seen.add(i);
    if (ok) {
      acks++;
      if (entries[i]!.kind === 'primary') packs++;
    }
    if (acks >= w && packs >= pw) return { outcome: 'ok' as const, after: k };
    const open = entries.filter((_, j) => !seen.has(j));
    const openP = open.filter((e) => e.kind === 'primary').length;
    if (acks + open.length < w || packs + openP < pw) return { outcome: 'fail' as const, after: k };
  }
  return { outcome: 'pending' as const, after: answers.length };
}

describe('PutFsm', () => {
  it('decides exactly when the plain rule does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 6 }),
        fc.array(fc.tuple(fc.nat(5), fc.boolean()), { maxLength: 12 }),
        (kinds, w, pw, raw) => {
          const entries: PreflistEntry[] = kinds.map((p, i) => ({
            node: `n${i}`,
            partition: i,
            kind: p ? 'primary' : 'fallback',
          }));
          const answers = raw.filter(([i]) => i < entries.length);
          const expected = reference(entries, w, pw, answers);
          let result: 'ok' | 'fail' | undefined;
          let at = -1;
          let k = -1;
          const fsm = new PutFsm(entries, w, pw, (err) => {
            result = err === undefined ? 'ok' : 'fail';
            at = k;
          });
          for (k = 0; k < answers.length; k++)
            fsm.ack(fsm.indexOf(`n${answers[k]![0]}`, answers[k]![0]), answers[k]![1]);
          expect(result ?? 'pending').toBe(expected.outcome);
          if (expected.outcome !== 'pending') expect(at).toBe(expected.after);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
