/**
 * The API contract is generated from the code: a node with every sub-app mounted serves
 * /openapi.json; Redocly lints it with 0 errors, and every route the node mounts is in it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { type CartServerNode, startCartServer } from '../src/node.js';
import { platformMounts } from '../src/platform.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
let dir: string;
let node: CartServerNode;
let doc: { paths: Record<string, Record<string, unknown>> } & Record<string, unknown>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cw-openapi-'));
  const config = loadConfig({
    argv: [
      '--port',
      '0',
      '--data-dir',
      dir,
      '--jwt-secret',
      'openapi-test-secret-0123456789abcdef',
      '--log-level',
      'silent',
    ],
    env: {},
    cwd: dir,
  });
  node = await startCartServer(config, platformMounts());
  doc = (await (await fetch(`${node.url}/openapi.json`)).json()) as typeof doc;
}, 120_000);

afterAll(async () => {
  await node?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the generated OpenAPI document', () => {
  it('passes redocly lint with 0 errors', async () => {
    const file = join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(doc, null, 2));
    const run = promisify(execFile);
    const result = await run(join(ROOT, 'node_modules/.bin/redocly'), ['lint', '--format', 'json', file], {
      cwd: ROOT,
      maxBuffer: 32 << 20,
    }).catch((err: { stdout?: string; stderr?: string }) => ({
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
    }));
    const report = JSON.parse(result.stdout) as {
      problems: { severity: string; message: string; location: { pointer: string }[] }[];
    };
    const errors = report.problems.filter((p) => p.severity === 'error');
    expect(errors.map((p) => `${p.location[0]?.pointer}: ${p.message}`)).toEqual([]);
  });

  it('describes every route the node mounts', () => {
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    const mounted = node.routes
      // middleware (app.use) registers ALL; the storefront's static files are a catch-all
      .filter((r) => r.method !== 'ALL' && !r.path.includes('*'))
      .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
    expect(mounted.length).toBeGreaterThan(40);
    expect([...new Set(mounted)].filter((r) => !documented.has(r))).toEqual([]);
  });

  it('describes the order routes with security, error codes and servers', () => {
    expect(doc.servers).toBeDefined();
    const post = doc.paths['/v1/orders']?.post as {
      security: unknown;
      responses: Record<string, { description: string }>;
    };
    expect(post.security).toEqual([{ bearerAuth: [] }]);
    expect(post.responses['409']?.description).toContain('CART_ALREADY_ORDERED');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/orders/{id}', '/v1/inventory', '/v1/inventory/{productId}']),
    );
  });
});
