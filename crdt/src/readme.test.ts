import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as crdt from '@cartwheel/crdt';
import { transformSync } from 'esbuild';
import { describe, expect, it } from 'vitest';

// The README's ```ts blocks are the API documentation; they must run. Each block is compiled with
// esbuild and executed with its imports resolved to this package and node:assert.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

const modules: Record<string, unknown> = {
  '@cartwheel/crdt': crdt,
  'node:assert/strict': Object.assign(assert, { default: assert }),
};

describe('README examples', () => {
  it('has examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
  });

  blocks.forEach((code, i) => {
    const title = code.split('\n').find((l) => !l.startsWith('import') && l.trim() !== '') ?? '';
    it(`example ${i + 1} runs: ${title.slice(0, 60)}`, () => {
      const { code: js } = transformSync(code, { loader: 'ts', format: 'cjs', target: 'es2022' });
      const require = (name: string) => {
        if (!(name in modules)) throw new Error(`README example imports unknown module ${name}`);
        return modules[name];
      };
      new Function('require', 'module', 'exports', js)(require, { exports: {} }, {});
    });
  });
});
