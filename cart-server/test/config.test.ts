import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_JWT_SECRET, loadConfig } from '../src/config/config.js';

describe('loadConfig', () => {
  it('has embedded defaults: port 8080, ./data, single node with N clamped to 1', () => {
    const c = loadConfig({ argv: [], env: {}, cwd: '/srv' });
    expect(c).toMatchObject({
      port: 8080,
      dataDir: '/srv/data',
      nodeId: 'n1',
      n: 1,
      r: 1,
      w: 1,
      ringSize: 64,
    });
    expect(c.fsync).toBe('always');
    expect(c.jwtSecret).toBe(DEV_JWT_SECRET);
    expect(c.devSecret).toBe(true);
  });

  it('reads env, lets flags win, and keeps N/R/W for a 3-node cluster', () => {
    const c = loadConfig({
      argv: ['--port', '9001', '--peers', 'n2=http://127.0.0.1:9002,n3=ws://127.0.0.1:9003'],
      env: { PORT: '1', NODE_ID: 'n1', CART_W: '2', JWT_SECRET: 'x'.repeat(32), CART_FSYNC: 'never' },
    });
    expect(c.port).toBe(9001);
    expect(c.peers).toEqual([
      { id: 'n2', url: 'http://127.0.0.1:9002' },
      { id: 'n3', url: 'http://127.0.0.1:9003' },
    ]);
    expect([c.n, c.r, c.w]).toEqual([3, 2, 2]);
    expect(c.fsync).toBe('never');
    expect(c.devSecret).toBe(false);
  });

  it('reports every problem at once, naming flag and env var', () => {
    let error: unknown;
    try {
      loadConfig({
        argv: ['--port', 'eighty', '--ring-size', '100', '--w', '5', '--n', '3'],
        env: { JWT_SECRET: 'short', PEERS: 'n2=ftp://x' },
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('--port (PORT): must be a whole number');
    expect(problems).toContain('--ring-size (RING_SIZE): must be a power of two');
    expect(problems).toContain('--w (CART_W): 5 exceeds N=3');
    expect(problems).toContain('--jwt-secret (JWT_SECRET): must be at least 32 characters');
    expect(problems).toContain('--peers (PEERS)');
    expect(() => loadConfig({ argv: ['--bogus'], env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ argv: [], env: { NODE_ENV: 'production' } })).toThrow(
      /required when NODE_ENV=production/,
    );
  });

  it('reads --database-url / DATABASE_URL for the catalog; none means the embedded LevelDB', () => {
    expect(loadConfig({ argv: [], env: {} }).databaseUrl).toBeUndefined();
    expect(
      loadConfig({ argv: [], env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/shop' } }).databaseUrl,
    ).toBe('postgres://postgres@127.0.0.1:5432/shop');
    expect(
      loadConfig({
        argv: ['--database-url', 'postgresql://db.internal/shop'],
        env: { DATABASE_URL: 'postgres://ignored/x' },
      }).databaseUrl,
    ).toBe('postgresql://db.internal/shop');
    expect(() => loadConfig({ argv: ['--database-url', 'mysql://x/y'], env: {} })).toThrow(
      /--database-url \(DATABASE_URL\): must be a postgres:\/\/ or postgresql:\/\/ URL/,
    );
  });

  it('reads --join, --join-commit and --advertise-url, and refuses --join beside --peers', () => {
    const c = loadConfig({
      argv: ['--join', 'ws://10.0.0.1:8081/ignored', '--advertise-url', 'http://10.0.0.4:8084'],
      env: { JOIN_COMMIT: 'off' },
    });
    expect(c).toMatchObject({
      join: 'http://10.0.0.1:8081',
      joinCommit: false,
      advertiseUrl: 'http://10.0.0.4:8084',
    });
    expect(loadConfig({ argv: [], env: {} })).toMatchObject({ join: undefined, joinCommit: true });
    let error: unknown;
    try {
      loadConfig({
        argv: ['--join', 'nowhere', '--advertise-url', 'mailto:x', '--join-commit', 'maybe'],
        env: {},
      });
    } catch (err) {
      error = err;
    }
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain("--join (JOIN): must be an http(s):// URL, got 'nowhere'");
    expect(problems).toContain('--advertise-url (ADVERTISE_URL)');
    expect(problems).toContain('--join-commit (JOIN_COMMIT): must be on or off');
    expect(() => loadConfig({ argv: ['--join', 'http://a:1', '--peers', 'n2=http://b:2'], env: {} })).toThrow(
      /drop --peers/,
    );
  });

  it('reads the operations options: grace period, access log, identity provider', () => {
    const d = loadConfig({ argv: [], env: {} });
    expect(d).toMatchObject({ shutdownGraceMs: 5_000, accessLog: true, jwksUrl: undefined });
    const c = loadConfig({
      argv: ['--shutdown-grace-ms', '0', '--access-log', 'off'],
      env: {
        JWKS_URL: 'https://idp.example/.well-known/jwks.json',
        JWT_ISSUER: 'https://idp.example/',
        JWT_AUDIENCE: 'cartwheel',
      },
    });
    expect(c).toMatchObject({
      shutdownGraceMs: 0,
      accessLog: false,
      jwksUrl: 'https://idp.example/.well-known/jwks.json',
      jwtIssuer: 'https://idp.example/',
      jwtAudience: 'cartwheel',
    });
    const bad = (() => {
      try {
        loadConfig({ argv: ['--jwks-url', 'ftp://idp', '--shutdown-grace-ms', 'soon'], env: {} });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(bad).toBeInstanceOf(ConfigError);
    expect(bad?.problems.some((p) => p.startsWith('--jwks-url (JWKS_URL): must be an http(s):// URL'))).toBe(
      true,
    );
    expect(bad?.problems.some((p) => p.startsWith('--shutdown-grace-ms (SHUTDOWN_GRACE_MS)'))).toBe(true);
    expect(() => loadConfig({ argv: ['--jwt-audience', 'x'], env: {} })).toThrow(
      /only apply with --jwks-url/,
    );
  });
});
