#!/usr/bin/env node
/**
 * `npm run sim -- …`: sweeps seeds over the real replication core and the LWW control, prints a
 * summary table (or `--json`), optionally writes an HTML report, and exits non-zero when any
 * Cartwheel seed violates a checker — printing the command that replays each failing seed.
 */
import { writeFileSync } from 'node:fs';
import { parseCli, USAGE } from './cli/args.js';
import { ProgressBar } from './cli/progress.js';
import { summaryText } from './cli/table.js';
import { renderReport } from './report/html.js';
import { runSeed } from './run/run-seed.js';
import {
  anomalies,
  isFailure,
  isolatedRow,
  replayCommand,
  type SweepSummary,
  toJson,
} from './run/summary.js';
import { sweep } from './run/sweep.js';
import { storeFactory } from './stores/index.js';

async function main(): Promise<number> {
  let options: ReturnType<typeof parseCli>;
  try {
    options = parseCli(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (options.history !== undefined) {
    const result = await runSeed(options.config, storeFactory(options.config.store), { keepHistory: true });
    writeFileSync(
      options.history,
      JSON.stringify(
        {
          seed: result.seed,
          store: result.store,
          violations: result.details,
          final: result.finalCarts,
          ops: result.history?.ops,
          nemesis: result.history?.nemesis,
          timeline: result.timeline,
        },
        null,
        1,
      ),
    );
    process.stderr.write(
      `history of seed ${result.seed} (${result.history?.ops.length} ops) written to ${options.history}\n`,
    );
  }
  const bar = options.json ? undefined : new ProgressBar(options.seeds);
  let violations = 0;
  let control = 0;
  let failing = 0;
  let summary: SweepSummary = await sweep({
    config: options.config,
    seeds: options.seeds,
    withControl: options.withControl,
    controlEvery: options.controlEvery,
    workers: options.workers,
    onSeed: (pair, done) => {
      violations += anomalies(pair.cartwheel);
      control += pair.control === undefined ? 0 : anomalies(pair.control);
      // A failing seed is reported when it happens, so a long run that is cut short still names it.
      if (isFailure(pair.cartwheel)) {
        failing++;
        process.stderr.write(
          `FAILING seed ${pair.seed}: replay with ${replayCommand(options.config, pair.seed)}\n`,
        );
      }
      bar?.update(done, `violations ${violations}  failing seeds ${failing}  control anomalies ${control}`);
    },
  });
  bar?.finish();
  if (options.perNemesisSeeds > 0 && options.config.nemeses.length > 0) {
    // Every seed of the main sweep mixes nemeses; these runs have one each, so causes separate.
    const isolated = [];
    for (const nemesis of options.config.nemeses) {
      const config = { ...options.config, nemeses: [nemesis] };
      const alone = await sweep({
        config,
        seeds: options.perNemesisSeeds,
        withControl: options.withControl,
        controlEvery: options.controlEvery,
        workers: options.workers,
      });
      for (const f of alone.failing)
        process.stderr.write(`FAILING seed ${f.seed} (${nemesis} alone): replay with ${f.replay}\n`);
      isolated.push(isolatedRow(nemesis, alone));
    }
    summary = { ...summary, isolated };
  }
  if (options.json) process.stdout.write(`${JSON.stringify(toJson(summary))}\n`);
  else process.stdout.write(`${summaryText(summary)}\n`);
  if (options.jsonFile !== undefined) writeFileSync(options.jsonFile, `${JSON.stringify(toJson(summary))}\n`);
  if (options.html !== undefined) {
    writeFileSync(options.html, renderReport(summary));
    process.stderr.write(`report written to ${options.html}\n`);
  }
  if (summary.control !== undefined && summary.seeds >= 20 && summary.control.seedsWithViolations === 0)
    process.stderr.write(
      'warning: the LWW control showed no anomalies — the faults were too mild to test the checkers\n',
    );
  const isolatedFailures = (summary.isolated ?? []).reduce((n, r) => n + r.failingSeeds, 0);
  return summary.failing.length > 0 || isolatedFailures > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 2;
  },
);
