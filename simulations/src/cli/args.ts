import { parseArgs } from 'node:util';
import { parseNemeses } from '../nemesis/nemesis.js';
import { DEFAULT_CONFIG, type SimConfig, validateConfig } from '../run/config.js';
import { defaultWorkers } from '../run/sweep.js';

export interface CliOptions {
  readonly config: SimConfig;
  readonly seeds: number;
  /** `--seed S` without `--seeds`: replay one seed verbosely. */
  readonly replay: boolean;
  readonly withControl: boolean;
  /** Run the control on every K-th seed only (1 = every seed). */
  readonly controlEvery: number;
  readonly workers: number;
  readonly json: boolean;
  /** `--html FILE` (alias `--report FILE`): the self-contained HTML report. */
  readonly html: string | undefined;
  /** `--per-nemesis N`: also sweep N seeds with each nemesis alone, for the breakdown. */
  readonly perNemesisSeeds: number;
  readonly jsonFile: string | undefined;
  readonly history: string | undefined;
  readonly help: boolean;
}

export const USAGE = `Usage: npm run sim -- [options]

  --seeds N            number of seeds to run (default 100)
  --seed S             first seed (alone: replay that one seed and print its violations)
  --nodes K            nodes in the cluster (default 5)
  --nemesis LIST       comma list of partition-halves, partition-random, bridge, kill, pause,
                       clock-skew, loss, duplicate, reorder; or all / none
                       (default partition-halves,kill,clock-skew)
  --n --r --w --pr --pw  replication and quorum sizes (default 3/2/2/0/0)
  --carts C --clients K --devices D --rate OPS   workload (per-client ops per simulated second)
  --duration SEC       simulated seconds of workload and faults before the heal (default 60)
  --quiesce SEC        simulated seconds allowed after the heal to converge (default 90)
  --intensity X        mean fault windows per 10 simulated seconds (default 2)
  --keep-unsynced      crashes keep writes whose fsync had not finished (default: lose them)
  --heartbeat-ms --failure-timeout-ms --handoff-ms --aae-ms --ring-size
                       the replication core's timers (default 1000/3000/1000/1000, ring 64)
  --no-control         skip the last-writer-wins negative control
  --control-every K    run the control on every K-th seed only (default 1: every seed)
  --workers W          worker threads (default: one per core)
  --json               print the JSON summary only (config, failing seeds with replay commands,
                       errors, unconverged runs; a checker that did not run counts null)
  --json-file FILE     also write the JSON summary to FILE
  --html FILE          write a self-contained HTML report (per-seed timelines, per-nemesis
                       breakdown); --report FILE is the same
  --per-nemesis N      also run N seeds with each listed nemesis alone, so the report and the
                       JSON can tell which fault causes what (default 0: off)
  --history FILE       with a single --seed: write its full history as JSON (ops, nemesis events)
`;

function num(v: string | undefined, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new TypeError(`--${name} expects a number, got "${v}"`);
  return n;
}

export function parseCli(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      seeds: { type: 'string' },
      seed: { type: 'string' },
      nodes: { type: 'string' },
      nemesis: { type: 'string' },
      n: { type: 'string' },
      r: { type: 'string' },
      w: { type: 'string' },
      pr: { type: 'string' },
      pw: { type: 'string' },
      carts: { type: 'string' },
      clients: { type: 'string' },
      devices: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      quiesce: { type: 'string' },
      intensity: { type: 'string' },
      'keep-unsynced': { type: 'boolean' },
      'heartbeat-ms': { type: 'string' },
      'failure-timeout-ms': { type: 'string' },
      'handoff-ms': { type: 'string' },
      'aae-ms': { type: 'string' },
      'ring-size': { type: 'string' },
      'lose-unsynced': { type: 'boolean' },
      'no-control': { type: 'boolean' },
      'control-every': { type: 'string' },
      workers: { type: 'string' },
      json: { type: 'boolean' },
      report: { type: 'string' },
      html: { type: 'string' },
      'per-nemesis': { type: 'string' },
      'json-file': { type: 'string' },
      history: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const d = DEFAULT_CONFIG;
  const nodes = num(values.nodes, d.nodes, 'nodes');
  const n = num(values.n, Math.min(d.n, nodes), 'n');
  const config: SimConfig = {
    ...d,
    seed: num(values.seed, d.seed, 'seed'),
    nodes,
    nemeses: values.nemesis === undefined ? d.nemeses : parseNemeses(values.nemesis),
    n,
    r: num(values.r, Math.min(d.r, n), 'r'),
    w: num(values.w, Math.min(d.w, n), 'w'),
    pr: num(values.pr, d.pr, 'pr'),
    pw: num(values.pw, d.pw, 'pw'),
    carts: num(values.carts, d.carts, 'carts'),
    clients: num(values.clients, d.clients, 'clients'),
    devices: num(values.devices, d.devices, 'devices'),
    rate: num(values.rate, d.rate, 'rate'),
    durationMs: num(values.duration, d.durationMs / 1000, 'duration') * 1000,
    quiesceMs: num(values.quiesce, d.quiesceMs / 1000, 'quiesce') * 1000,
    intensity: num(values.intensity, d.intensity, 'intensity'),
    loseUnsynced: values['keep-unsynced'] === true ? false : d.loseUnsynced,
    core: {
      heartbeatMs: num(values['heartbeat-ms'], d.core.heartbeatMs, 'heartbeat-ms'),
      failureTimeoutMs: num(values['failure-timeout-ms'], d.core.failureTimeoutMs, 'failure-timeout-ms'),
      handoffMs: num(values['handoff-ms'], d.core.handoffMs, 'handoff-ms'),
      aaeMs: num(values['aae-ms'], d.core.aaeMs, 'aae-ms'),
      ringSize: num(values['ring-size'], d.core.ringSize, 'ring-size'),
    },
  };
  validateConfig(config);
  const replay = values.seed !== undefined && values.seeds === undefined;
  const seeds = replay ? 1 : num(values.seeds, 100, 'seeds');
  if (!Number.isInteger(seeds) || seeds < 1) throw new TypeError('--seeds must be a positive integer');
  const every = num(values['control-every'], 1, 'control-every');
  if (!Number.isInteger(every) || every < 1)
    throw new TypeError('--control-every must be a positive integer');
  const workers = num(values.workers, replay ? 1 : defaultWorkers(), 'workers');
  if (values.html !== undefined && values.report !== undefined && values.html !== values.report)
    throw new TypeError('--html and --report are the same option; give one');
  const perNemesisSeeds = num(values['per-nemesis'], 0, 'per-nemesis');
  if (!Number.isInteger(perNemesisSeeds) || perNemesisSeeds < 0)
    throw new TypeError('--per-nemesis must be a whole number of seeds');
  return {
    config,
    seeds,
    replay,
    withControl: values['no-control'] !== true,
    controlEvery: num(values['control-every'], 1, 'control-every'),
    workers,
    json: values.json === true,
    html: values.html ?? values.report,
    perNemesisSeeds,
    jsonFile: values['json-file'],
    history: values.history,
    help: values.help === true,
  };
}
