import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMMUTABLE, mountStorefront, REVALIDATE } from '../../src/http/static-files.js';

let dir: string;
let app: Hono;
const JS = `console.log(${JSON.stringify('x'.repeat(2000))});`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cw-static-'));
  const put = (name: string, body: string | Uint8Array) => writeFileSync(join(dir, name), body);
  put('index.html', '<!doctype html><script src="./app.abcdef1234.js"></script>');
  put('app.abcdef1234.js', JS);
  put('app.abcdef1234.js.br', brotliCompressSync(JS));
  put('app.abcdef1234.js.gz', gzipSync(JS));
  put('app.abcdef1234.js.map', '{"version":3}');
  put('sw.js', 'self.addEventListener("fetch", () => {});');
  put('favicon.ico', new Uint8Array([0, 0, 1, 0]));
  app = new Hono();
  app.get('/v1/ping', (c) => c.text('pong'));
  mountStorefront(app, dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('storefront static files', () => {
  it('sends the brotli or gzip twin the browser accepts, with Vary', async () => {
    const br = await app.request('/app.abcdef1234.js', {
      headers: { 'accept-encoding': 'gzip, deflate, br' },
    });
    expect(br.status).toBe(200);
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('vary')).toMatch(/accept-encoding/i);
    expect(br.headers.get('content-type')).toMatch(/javascript/);
    expect(brotliDecompressSync(Buffer.from(await br.arrayBuffer())).toString()).toBe(JS);
    const gz = await app.request('/app.abcdef1234.js', { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    const plain = await app.request('/app.abcdef1234.js');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(JS);
  });

  it('hashed files are immutable; the page and the service worker are revalidated', async () => {
    expect((await app.request('/app.abcdef1234.js')).headers.get('cache-control')).toBe(IMMUTABLE);
    for (const path of ['/', '/index.html', '/sw.js']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('cache-control'), path).toBe(REVALIDATE);
    }
  });

  it('serves the favicon and never a source map or a compressed twin by name', async () => {
    expect((await app.request('/favicon.ico')).status).toBe(200);
    expect((await app.request('/app.abcdef1234.js.map')).status).toBe(404);
    expect((await app.request('/app.abcdef1234.js.br')).status).toBe(404);
    expect(await (await app.request('/v1/ping')).text()).toBe('pong');
  });
});
