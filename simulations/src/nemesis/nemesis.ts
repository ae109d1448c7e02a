import type { NodeId } from '@cartwheel/crdt';
import type { Prng } from '../sim/prng.js';
import { bridge, halves, type PlannedPartition, randomPartition } from './partitions.js';

export const NEMESES = [
  'partition-halves',
  'partition-random',
  'bridge',
  'kill',
  'pause',
  'clock-skew',
  'loss',
  'duplicate',
  'reorder',
] as const;
export type NemesisName = (typeof NEMESES)[number];

export function parseNemeses(text: string): NemesisName[] {
  if (text.trim() === '' || text === 'none') return [];
  const names = text === 'all' ? [...NEMESES] : text.split(',').map((s) => s.trim());
  for (const name of names)
    if (!(NEMESES as readonly string[]).includes(name))
      throw new TypeError(`unknown nemesis "${name}" (known: ${NEMESES.join(', ')}, all, none)`);
  return [...new Set(names)] as NemesisName[];
}

/** One fault window of a schedule. Windows of different nemeses may overlap: they compose. */
export type Fault =
  | {
      readonly nemesis: 'partition-halves' | 'partition-random' | 'bridge';
      readonly start: number;
      readonly end: number;
      readonly partition: PlannedPartition;
    }
  | { readonly nemesis: 'kill'; readonly start: number; readonly end: number; readonly node: NodeId }
  | { readonly nemesis: 'pause'; readonly start: number; readonly end: number; readonly node: NodeId }
  | {
      readonly nemesis: 'clock-skew';
      readonly start: number;
      readonly end: number;
      readonly node: NodeId;
      /** Offset during the window, and the offset it jumps to at the end (often backwards). */
      readonly offsetMs: number;
      readonly afterMs: number;
    }
  | {
      readonly nemesis: 'loss' | 'duplicate' | 'reorder';
      readonly start: number;
      readonly end: number;
      readonly p: number;
    };

export interface FaultPlanOptions {
  readonly nodes: readonly NodeId[];
  readonly nemeses: readonly NemesisName[];
  readonly durationMs: number;
  /** Mean fault windows per 10 simulated seconds. */
  readonly intensity: number;
}

/**
 * Draws a fault schedule up front, before any process runs, so Cartwheel and the control run
 * under exactly the same faults for a seed. Faults end by `durationMs` (the heal point).
 */
export function planFaults(rng: Prng, o: FaultPlanOptions): Fault[] {
  if (o.nemeses.length === 0) return [];
  const faults: Fault[] = [];
  const count = Math.max(1, Math.round((o.durationMs / 10_000) * o.intensity));
  const earliest = Math.min(1_000, o.durationMs * 0.1);
  for (let i = 0; i < count; i++) {
    const nemesis = rng.pick(o.nemeses);
    const start = earliest + rng.next() * Math.max(0, o.durationMs * 0.85 - earliest);
    const length = Math.min(o.durationMs - start, 500 + rng.exp(Math.min(8_000, o.durationMs / 4)));
    const end = start + length;
    const node = rng.pick(o.nodes);
    switch (nemesis) {
      case 'partition-halves':
        faults.push({ nemesis, start, end, partition: halves(o.nodes, rng) });
        break;
      case 'partition-random':
        faults.push({ nemesis, start, end, partition: randomPartition(o.nodes, rng) });
        break;
      case 'bridge':
        faults.push({ nemesis, start, end, partition: bridge(o.nodes, rng) });
        break;
      case 'kill':
      case 'pause':
        faults.push({ nemesis, start, end, node });
        break;
      case 'clock-skew': {
        const offsetMs = Math.round((rng.next() * 2 - 1) * 120_000);
        const afterMs = rng.bool(0.5) ? 0 : Math.round(offsetMs - rng.next() * 60_000);
        faults.push({ nemesis, start, end, node, offsetMs, afterMs });
        break;
      }
      default:
        faults.push({ nemesis, start, end, p: 0.05 + rng.next() * 0.45 });
    }
  }
  return faults.sort((a, b) => a.start - b.start);
}

export function partitionMs(faults: readonly Fault[]): number {
  let total = 0;
  for (const f of faults) if ('partition' in f) total += f.end - f.start;
  return total;
}

/** What a fault does, for histories and reports: "n1,n2 | n3,n4,n5", "n3", "p=0.21", "n2 +84000ms". */
export function describeFault(f: Fault): string {
  if ('partition' in f) return `${f.partition.kind}: ${f.partition.label}`;
  if (f.nemesis === 'clock-skew')
    return `${f.node} ${f.offsetMs >= 0 ? '+' : ''}${f.offsetMs}ms, then ${f.afterMs}ms`;
  if ('node' in f) return f.node;
  return `p=${f.p.toFixed(2)}`;
}
