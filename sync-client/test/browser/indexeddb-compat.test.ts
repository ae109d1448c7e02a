/**
 * Replicas stored by earlier versions (the store ran on browser-level) load unchanged through the
 * package's own IndexedDB adapter, which keeps browser-level's layout: in Chromium, browser-level
 * writes a replica (meta, snapshot, log, pending marks) and createBrowserReplicaStore reads it
 * back, then appends to it and browser-level sees the append. browser-level needs `events` and
 * `buffer` in a browser bundle; this test-only bundle stubs them (the library bundle does not).
 */
import { createServer, type Server } from 'node:http';
import { build, type Plugin } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_DIR } from '../../scripts/bundle.js';
import { launchChromium } from './chromium.js';

const nodeStubs: Plugin = {
  name: 'node-stubs',
  setup(b) {
    b.onResolve({ filter: /^(events|buffer)$/ }, (a) => ({ path: a.path, namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, (a) => ({
      contents:
        a.path === 'events'
          ? 'export class EventEmitter { emit() { return false } on() { return this } once() { return this } off() { return this } addListener() { return this } removeListener() { return this } setMaxListeners() {} listenerCount() { return 0 } }'
          : 'export const Buffer = { isBuffer: () => false }',
      loader: 'js',
    }));
  },
};

const entry = `
import { BrowserLevel } from 'browser-level';
import { createBrowserReplicaStore, LevelReplicaStore } from './src/index.ts';
globalThis.compat = async () => {
  const old = new LevelReplicaStore(new BrowserLevel('compat', { keyEncoding: 'utf8', valueEncoding: 'view' }));
  await old.open();
  await old.putMeta('u/main', { actor: 'actor-1', token: 't1' });
  await old.append('u/main', { seq: 1, delta: new Uint8Array([1, 2]), local: true });
  await old.append('u/main', { seq: 2, delta: new Uint8Array([3]), local: false });
  await old.compact('u/main', new Uint8Array([9, 9]), 1);
  await old.close();
  const store = createBrowserReplicaStore('compat');
  await store.open();
  const loaded = await store.load('u/main');
  await store.append('u/main', { seq: 3, delta: new Uint8Array([4]), local: true });
  await store.close();
  await old.open();
  const again = await old.load('u/main');
  await old.close();
  const plain = (r) => ({ ...r, snapshot: r.snapshot && [...r.snapshot], log: r.log.map((e) => ({ ...e, delta: [...e.delta] })) });
  return { loaded: plain(loaded), again: plain(again) };
};
`;

let browser: Browser | undefined;
let http: Server | undefined;
let url = '';
let script = '';

beforeAll(async () => {
  const out = await build({
    stdin: { contents: entry, resolveDir: PACKAGE_DIR, loader: 'ts' },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    conditions: ['@cartwheel/source'],
    plugins: [nodeStubs],
    logLevel: 'warning',
  });
  script = out.outputFiles[0]!.text;
  http = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>compat</title>');
  });
  await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (http === undefined ? resolve() : http.close(() => resolve())));
});

describe('IndexedDB layout compatibility', () => {
  it('a replica written by browser-level loads through createBrowserReplicaStore, and back', async () => {
    const page = await browser!.newPage();
    await page.goto(url);
    await page.addScriptTag({ content: script });
    const result = await page.evaluate(() =>
      (globalThis as unknown as { compat: () => Promise<unknown> }).compat(),
    );
    expect(result).toEqual({
      loaded: {
        meta: { actor: 'actor-1', token: 't1' },
        snapshot: [9, 9],
        log: [{ seq: 2, local: false, delta: [3] }],
        pending: [1],
        lastSeq: 2,
      },
      again: {
        meta: { actor: 'actor-1', token: 't1' },
        snapshot: [9, 9],
        log: [
          { seq: 2, local: false, delta: [3] },
          { seq: 3, local: true, delta: [4] },
        ],
        pending: [1, 3],
        lastSeq: 3,
      },
    });
    await page.close();
  }, 60_000);
});
