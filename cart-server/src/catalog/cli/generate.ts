/**
 * `npm run catalog:generate -- --count 100000 [--seed 1] [--out catalog.jsonl]`
 * Writes a seeded synthetic catalog as JSONL (stdout when no --out), progress on stderr.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { CatalogGenerator } from '../seed/generator.js';
import { fail, ProgressBar, parseFlags } from './progress.js';

const { flags } = parseFlags(process.argv.slice(2));
if (flags.has('help')) {
  process.stdout.write('usage: catalog:generate -- --count N [--seed S] [--out file.jsonl]\n');
  process.exit(0);
}
const count = Number(flags.get('count') ?? '1000');
const seed = Number(flags.get('seed') ?? '1');
if (!Number.isInteger(count) || count < 0 || count > 50_000_000)
  fail('--count must be an integer in 0..50,000,000');
if (!Number.isInteger(seed)) fail('--seed must be an integer');
const outPath = flags.get('out');
const out: Writable = outPath === undefined ? process.stdout : createWriteStream(outPath);
const bar = new ProgressBar('generate', count);
const gen = new CatalogGenerator({ seed });
const started = performance.now();
let buffer = '';
for (let i = 0; i < count; i++) {
  buffer += `${JSON.stringify(gen.product(i))}\n`;
  if (buffer.length > 1 << 20 || i === count - 1) {
    if (!out.write(buffer)) await once(out, 'drain');
    buffer = '';
    bar.update(i + 1, `${(i + 1).toLocaleString('en')} products`);
  }
}
if (outPath !== undefined) {
  out.end();
  await once(out, 'finish');
}
bar.done(`${count.toLocaleString('en')} products in ${Math.round(performance.now() - started)} ms`);
