/**
 * What an operator relies on, against real processes: metric route labels with the storefront
 * mounted, the replication counters and quorum histograms, the ops/ dashboard and alert rules
 * referring only to metrics a server exports, access logs with request ids, identity-provider
 * tokens (--jwks-url), readiness through a SIGTERM grace period, and the one-line startup errors.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sign } from 'hono/jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  api,
  createServer,
  removeTempDirs,
  type ServerProcess,
  tempDataDir,
  token,
  waitFor,
} from './support/server-process.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Metric names with a `# TYPE` line in a Prometheus text exposition. */
function exportedMetrics(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) names.add(m[1]!);
  return names;
}

/** Metric names a PromQL expression refers to (ours and the Node.js process/runtime ones). */
function referencedMetrics(expr: string): string[] {
  return [...expr.matchAll(/\b((?:cartwheel|nodejs|process)_[a-z0-9_]+)/g)].map((m) => m[1]!);
}

/** A histogram's series (`_bucket`, `_count`, `_sum`) belong to the histogram's `# TYPE` name. */
function isExported(name: string, exported: Set<string>): boolean {
  return exported.has(name) || exported.has(name.replace(/_(bucket|count|sum)$/, ''));
}

function dashboardExprs(): string[] {
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'ops/grafana/cartwheel-dashboard.json'), 'utf8')) as {
    panels: { type: string; title: string; targets?: { expr: string }[] }[];
  };
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  expect(exprs.length).toBeGreaterThan(10);
  return exprs;
}

/** The alert rules file: every `- alert:` has a one-line `expr:` (the file says so). */
function alertRules(): { alert: string; expr: string }[] {
  const text = readFileSync(join(ROOT, 'ops/prometheus/cartwheel-alerts.yml'), 'utf8');
  const rules: { alert: string; expr: string }[] = [];
  for (const m of text.matchAll(/- alert: (\S+)\n\s+expr: (.+)\n/g))
    rules.push({ alert: m[1]!, expr: m[2]! });
  expect(rules.length).toBe((text.match(/- alert:/g) ?? []).length);
  return rules;
}

// ---- an identity provider for --jwks-url: a loopback HTTP server with one RS256 key
let idp: Server;
let idpKey: JsonWebKey & { kid: string; alg: string };
let jwksUrl: string;

async function idpToken(
  sub: string,
  key: JsonWebKey & { kid: string; alg: string } = idpKey,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  // biome-ignore lint/suspicious/noExplicitAny: hono's sign takes a JWK with alg and kid.
  return sign({ sub, iat: now, exp: now + 600 }, key as any);
}

async function rsaKey(kid: string) {
  const pair = (await crypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
  return {
    publicJwk: { ...(await crypto.subtle.exportKey('jwk', pair.publicKey)), kid, alg: 'RS256', use: 'sig' },
    privateJwk: { ...(await crypto.subtle.exportKey('jwk', pair.privateKey)), kid, alg: 'RS256' },
  };
}

describe('metrics, ops assets, access logs and identity providers (storefront mounted)', () => {
  let server: ServerProcess;
  let storefront: string;

  beforeAll(async () => {
    const key = await rsaKey('idp-1');
    idpKey = key.privateJwk;
    idp = createHttpServer((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [key.publicJwk] }));
    });
    idp.listen(0, '127.0.0.1');
    await once(idp, 'listening');
    jwksUrl = `http://127.0.0.1:${(idp.address() as { port: number }).port}/.well-known/jwks.json`;

    storefront = join(tempDataDir(), 'storefront');
    mkdirSync(storefront, { recursive: true });
    writeFileSync(join(storefront, 'index.html'), '<!doctype html><title>shop</title>');
    server = await createServer({
      args: ['--storefront-dir', storefront, '--jwks-url', jwksUrl],
      env: { ACCESS_LOG: 'on' },
    });
    await server.start();
  });

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
    idp?.close();
    removeTempDirs();
  });

  it('labels requests by the route that answered, not the storefront catch-all', async () => {
    const call = api(server.url, await token('labels-user'));
    expect((await call('GET', '/healthz')).status).toBe(200);
    const index = await fetch(`${server.url}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<title>shop</title>');
    expect((await call('POST', '/v1/carts/c1/items', { productId: 'p-0000001', quantity: 1 })).status).toBe(
      200,
    );
    expect((await call('GET', '/v1/carts/c1')).status).toBe(200);
    expect((await call('GET', '/v1/search?q=anything')).status).toBeLessThan(500);
    expect((await call('GET', '/no/such/file.txt')).status).toBe(404);

    const metrics = String((await call('GET', '/metrics')).json);
    const routes = new Set(
      [...metrics.matchAll(/cartwheel_http_requests_total\{[^}]*route="([^"]+)"/g)].map((m) => m[1]),
    );
    for (const route of [
      '/healthz',
      'static',
      '/v1/carts/:cartId',
      '/v1/carts/:cartId/items',
      '/v1/search',
      'unmatched',
    ])
      expect(routes, `route label ${route} in ${[...routes].join(', ')}`).toContain(route);
  });

  it('exports the replication counters and the quorum latency histograms', async () => {
    const call = api(server.url, await token('quorum-user'));
    expect((await call('POST', '/v1/carts/q1/items', { productId: 'p-0000001', quantity: 2 })).status).toBe(
      200,
    );
    expect((await call('GET', '/v1/carts/q1')).status).toBe(200);
    const metrics = String((await call('GET', '/metrics')).json);
    const names = exportedMetrics(metrics);
    for (const name of [
      'cartwheel_read_repairs_total',
      'cartwheel_aae_exchanges_total',
      'cartwheel_aae_repairs_total',
      'cartwheel_forwarded_requests_total',
      'cartwheel_hints_recorded_total',
      'cartwheel_hints_delivered_total',
      'cartwheel_hints_dropped_total',
      'cartwheel_replication_decode_errors_total',
      'cartwheel_quorum_request_duration_seconds',
    ])
      expect(names, name).toContain(name);
    expect(metrics).toMatch(/^# TYPE cartwheel_aae_repairs_total counter$/m);
    expect(metrics).not.toMatch(/^cartwheel_aae_repairs[{ ]/m);
    const count = (op: string) =>
      Number(
        new RegExp(
          `^cartwheel_quorum_request_duration_seconds_count\\{(?=[^}]*op="${op}")(?=[^}]*outcome="ok")[^}]*\\} (\\d+)`,
          'm',
        ).exec(metrics)?.[1] ?? 0,
      );
    expect(count('put')).toBeGreaterThanOrEqual(1);
    expect(count('get')).toBeGreaterThanOrEqual(1);
  });

  it('ops/: every metric the Grafana dashboard and the alert rules use exists on a running server', async () => {
    const names = exportedMetrics(String((await api(server.url)('GET', '/metrics')).json));
    const rules = alertRules();
    for (const alert of [
      'CartwheelPeersDown',
      'CartwheelHandoffBacklog',
      'CartwheelQuorumFailures',
      'CartwheelEventLoopLag',
    ])
      expect(rules.map((r) => r.alert)).toContain(alert);
    const used = new Set([...dashboardExprs(), ...rules.map((r) => r.expr)].flatMap(referencedMetrics));
    expect(used.size).toBeGreaterThan(15);
    const missing = [...used].filter((n) => !isExported(n, names));
    expect(missing, 'metrics referenced by ops/ but not exported').toEqual([]);
  });

  it('logs one JSON line per request with its request id (kept or generated, echoed) and traceparent', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const mine = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'lb-42', traceparent } });
    expect(mine.headers.get('x-request-id')).toBe('lb-42');
    expect(mine.headers.get('traceparent')).toBe(traceparent);
    const generated = (await fetch(`${server.url}/healthz`)).headers.get('x-request-id');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    const hostile = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'x'.repeat(500) } });
    expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const line = await waitFor(
      () =>
        server
          .output()
          .split('\n')
          .filter((l) => l.includes('"reqId":"lb-42"'))
          .map((l) => JSON.parse(l) as Record<string, unknown>)[0],
      'the access-log line',
    );
    expect(line).toMatchObject({
      msg: 'request',
      method: 'GET',
      path: '/healthz',
      route: '/healthz',
      status: 200,
      traceparent,
    });
    expect(typeof line.ms).toBe('number');
    await waitFor(() => server.output().includes(`"reqId":"${generated}"`), 'the generated id in the log');
  });

  it('accepts identity-provider tokens (--jwks-url) on the same routes, and refuses unknown keys', async () => {
    const idpCall = api(server.url, await idpToken('idp-user'));
    expect(
      (await idpCall('POST', '/v1/carts/i1/items', { productId: 'p-0000001', quantity: 1 })).status,
    ).toBe(200);
    expect((await idpCall('GET', '/v1/carts/i1')).json).toMatchObject({
      lines: [{ productId: 'p-0000001' }],
    });
    // the same user through our own HS256 token sees the same cart: one identity, one auth path
    expect((await api(server.url, await token('idp-user'))('GET', '/v1/carts/i1')).status).toBe(200);
    // and the WebSocket sync endpoint takes the same tokens (the one verifier)
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/sync`, [
      'cartwheel.v1',
      `bearer.${await idpToken('idp-user')}`,
    ]);
    ws.on('error', () => {});
    const [opened] = await Promise.race([
      once(ws, 'open').then(() => ['open']),
      once(ws, 'unexpected-response').then(([, res]) => [String((res as { statusCode: number }).statusCode)]),
    ]);
    expect(opened).toBe('open');
    ws.close();
    const stranger = (await rsaKey('idp-1')).privateJwk; // same kid, other key
    const refused = await api(server.url, await idpToken('idp-user', stranger))('GET', '/v1/carts/i1');
    expect(refused.status).toBe(401);
  });
});

describe('readiness and graceful shutdown', () => {
  afterAll(() => removeTempDirs());

  it('answers /readyz 503 during the SIGTERM grace period while still serving, then exits 0', async () => {
    const server = await createServer({
      args: ['--platform', 'off'],
      env: { SHUTDOWN_GRACE_MS: '4000' },
    });
    await server.start();
    const call = api(server.url);
    expect(await call('GET', '/readyz')).toMatchObject({
      status: 200,
      json: { ready: true, checks: { storage: true, replica: true, draining: false } },
    });
    const exited = server.stop(); // SIGTERM
    const draining = await waitFor(async () => {
      const r = await call('GET', '/readyz');
      return r.status === 503 ? r : undefined;
    }, '/readyz to answer 503');
    expect(draining.json).toMatchObject({ ready: false, checks: { draining: true } });
    // still serving during the grace period: the balancer moves traffic away first
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect(await exited).toBe(0);
    expect(server.output()).toContain('draining: /readyz answers 503');
    expect(server.output()).toContain('shut down cleanly');
  });

  it('reports a configured Redis that does not answer as not ready', async () => {
    const server = await createServer({
      args: ['--platform', 'off', '--redis-url', 'redis://127.0.0.1:1'],
    });
    await server.start();
    try {
      expect(await api(server.url)('GET', '/readyz')).toMatchObject({
        status: 503,
        json: { ready: false, checks: { storage: true, replica: true, redis: false } },
      });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe('startup errors and --version', () => {
  afterAll(() => removeTempDirs());

  /** The lines a failed start wrote to stderr (what an operator sees), without pino's JSON lines. */
  function humanLines(output: string): string[] {
    return output.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
  }

  it('says in one line that the port is in use', async () => {
    const blocker = createNetServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    try {
      const server = await createServer({ port, args: ['--platform', 'off'] });
      await expect(server.start()).rejects.toThrow(/exited with 1/);
      expect(humanLines(server.output())).toEqual([
        `cart-server: port ${port} on 127.0.0.1 is already in use by another process; stop it or pick another port with --port (PORT)`,
      ]);
    } finally {
      blocker.close();
    }
  });

  it('says in one line that another process holds the data directory', async () => {
    const first = await createServer({ args: ['--platform', 'off'] });
    await first.start();
    try {
      const second = await createServer({ dataDir: first.dataDir, args: ['--platform', 'off'] });
      await expect(second.start()).rejects.toThrow(/exited with 1/);
      const lines = humanLines(second.output());
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(
        `the data directory ${join(first.dataDir, 'n1')} is locked: another process holds it`,
      );
    } finally {
      expect(await first.stop()).toBe(0);
    }
  });

  it('prints its version', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'cart-server/package.json'), 'utf8')) as {
      version: string;
    };
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--conditions=@cartwheel/source',
        '--import',
        'tsx',
        join(ROOT, 'cart-server/src/bin/cart-server.ts'),
        '--version',
      ],
      { cwd: ROOT, timeout: 60_000 },
    );
    expect(stdout).toBe(`cart-server ${pkg.version}\n`);
  });
});
