/**
 * Server configuration from command-line flags and environment variables (flags win), validated
 * once at start. Every problem is reported together, naming both the flag and the variable, so a
 * bad deployment fails fast with one readable message instead of a stack trace later.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';

export type FsyncPolicy = 'always' | 'never';

export interface PeerConfig {
  readonly id: string;
  /** Base URL of the peer's HTTP/WebSocket port, e.g. http://127.0.0.1:8081 */
  readonly url: string;
}

export interface Limits {
  /** Largest accepted HTTP request body in bytes (413 above). */
  readonly maxBodyBytes: number;
  /** Most distinct lines a cart may hold; adds, sets and merges beyond it are refused (CART_TOO_LARGE). */
  readonly maxLinesPerCart: number;
  /** Largest WebSocket message (client sync and cluster) in bytes; larger frames close the socket. */
  readonly maxWsPayloadBytes: number;
  /** Client sync messages accepted per second per connection (token bucket, burst = 2×). */
  readonly wsMessagesPerSecond: number;
  /** Client sync frame bytes handled per second per connection (burst 2×): one largest frame per second. */
  readonly wsBytesPerSecond: number;
  /** Client sync frames waiting to be handled on one connection (they are handled one at a time). */
  readonly maxQueuedWsFrames: number;
  /** Bytes buffered for a slow WebSocket reader before the server drops it. */
  readonly maxWsBufferedBytes: number;
  /** Most cart subscriptions one sync connection may hold. */
  readonly maxSubscriptionsPerConnection: number;
}

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly nodeId: string;
  readonly peers: readonly PeerConfig[];
  /** Base URL other nodes reach this one at (default http://host:port; set it behind NAT or 0.0.0.0). */
  readonly advertiseUrl: string | undefined;
  /** A member of a running cluster to join on first start (its ring size, N, R and W are used). */
  readonly join: string | undefined;
  /** Commit the join at once (default), or only stage it for `cartwheel-admin cluster plan/commit`. */
  readonly joinCommit: boolean;
  readonly ringSize: number;
  readonly n: number;
  readonly r: number;
  readonly w: number;
  readonly requestTimeoutMs: number;
  /** Replication timers (ms): failure detection, hinted handoff, anti-entropy. */
  readonly heartbeatIntervalMs: number;
  readonly failureTimeoutMs: number;
  readonly handoffIntervalMs: number;
  readonly aaeIntervalMs: number;
  readonly fsync: FsyncPolicy;
  readonly jwtSecret: string;
  /** True when no secret was configured and the public development secret is in use. */
  readonly devSecret: boolean;
  /** An identity provider's JSON Web Key Set: RS256/ES256 tokens are verified against it too. */
  readonly jwksUrl: string | undefined;
  /** Required `iss` / accepted `aud` of identity-provider tokens (when set). */
  readonly jwtIssuer: string | undefined;
  readonly jwtAudience: string | undefined;
  readonly redisUrl: string | undefined;
  /** PostgreSQL for the catalog, shared by every node (else each node's own LevelDB). */
  readonly databaseUrl: string | undefined;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly storefrontDir: string | undefined;
  /** Mount the catalog/search and orders adapters (default true). */
  readonly platform: boolean;
  readonly shutdownTimeoutMs: number;
  /** On SIGTERM, /readyz answers 503 this long before the listener closes (load balancers notice). */
  readonly shutdownGraceMs: number;
  /** One JSON access-log line per HTTP request (pino, level info). */
  readonly accessLog: boolean;
  readonly limits: Limits;
}

/** The development secret used when JWT_SECRET is unset outside production. Never use it in production. */
export const DEV_JWT_SECRET = 'cartwheel-dev-secret-do-not-use-in-production';

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

interface Option {
  readonly flag: string;
  readonly env: string;
  readonly help: string;
  readonly boolean?: boolean;
}

/** Flag name → env var and help text. Order is the order of `--help`. */
export const OPTIONS = {
  host: { flag: 'host', env: 'HOST', help: 'interface to listen on (default 127.0.0.1; 0.0.0.0 for all)' },
  port: { flag: 'port', env: 'PORT', help: 'HTTP + WebSocket port (default 8080; 0 = any free port)' },
  dataDir: { flag: 'data-dir', env: 'DATA_DIR', help: 'LevelDB directory of this node (default ./data)' },
  nodeId: { flag: 'node-id', env: 'NODE_ID', help: 'stable node id, [A-Za-z0-9_.-]{1,64} (default n1)' },
  peers: {
    flag: 'peers',
    env: 'PEERS',
    help: 'other members: id=url,... e.g. n2=http://127.0.0.1:8082,n3=http://127.0.0.1:8083',
  },
  advertiseUrl: {
    flag: 'advertise-url',
    env: 'ADVERTISE_URL',
    help: 'URL the other nodes reach this node at (default http://<host>:<port>; 127.0.0.1 for 0.0.0.0)',
  },
  join: {
    flag: 'join',
    env: 'JOIN',
    help: 'URL of a member of a running cluster to join on first start, e.g. http://127.0.0.1:8081 (not with --peers)',
  },
  joinCommit: {
    flag: 'join-commit',
    env: 'JOIN_COMMIT',
    help: 'on: --join stages and commits the join (default); off: only stages it on that member for `cartwheel-admin cluster plan|commit`',
  },
  ringSize: {
    flag: 'ring-size',
    env: 'RING_SIZE',
    help: 'partitions on the ring, power of two 8..1024 (default 64)',
  },
  n: { flag: 'n', env: 'CART_N', help: 'replicas per cart (default 3, clamped to the member count)' },
  r: { flag: 'r', env: 'CART_R', help: 'read quorum (default 2, clamped to N)' },
  w: { flag: 'w', env: 'CART_W', help: 'write quorum (default 2, clamped to N)' },
  requestTimeoutMs: {
    flag: 'request-timeout-ms',
    env: 'REQUEST_TIMEOUT_MS',
    help: 'quorum request timeout (default 3000)',
  },
  heartbeatIntervalMs: {
    flag: 'heartbeat-interval-ms',
    env: 'HEARTBEAT_INTERVAL_MS',
    help: 'peer heartbeat (default 1000)',
  },
  failureTimeoutMs: {
    flag: 'failure-timeout-ms',
    env: 'FAILURE_TIMEOUT_MS',
    help: 'a silent peer is down after this (default 5000)',
  },
  handoffIntervalMs: {
    flag: 'handoff-interval-ms',
    env: 'HANDOFF_INTERVAL_MS',
    help: 'hinted/ownership handoff scan (default 2000)',
  },
  aaeIntervalMs: {
    flag: 'aae-interval-ms',
    env: 'AAE_INTERVAL_MS',
    help: 'anti-entropy exchange period (default 5000)',
  },
  fsync: {
    flag: 'fsync',
    env: 'CART_FSYNC',
    help: 'always: fsync (group commit) before every ack; never: OS-buffered (survives a process crash, not power loss). Default always',
  },
  jwtSecret: {
    flag: 'jwt-secret',
    env: 'JWT_SECRET',
    help: 'HS256 secret, ≥ 32 chars (dev secret if unset and NODE_ENV≠production)',
  },
  jwksUrl: {
    flag: 'jwks-url',
    env: 'JWKS_URL',
    help: 'identity provider key set (e.g. https://idp.example/.well-known/jwks.json): RS256/ES256 tokens are verified against it, HS256 ones against the secret',
  },
  jwtIssuer: {
    flag: 'jwt-issuer',
    env: 'JWT_ISSUER',
    help: 'with --jwks-url: the iss claim identity-provider tokens must carry',
  },
  jwtAudience: {
    flag: 'jwt-audience',
    env: 'JWT_AUDIENCE',
    help: 'with --jwks-url: the aud claim identity-provider tokens must carry',
  },
  redisUrl: {
    flag: 'redis-url',
    env: 'REDIS_URL',
    help: 'optional redis:// URL for the product cache and order log',
  },
  databaseUrl: {
    flag: 'database-url',
    env: 'DATABASE_URL',
    help: 'optional postgres:// URL: the catalog lives in PostgreSQL, shared by every node (migrated on start)',
  },
  logLevel: {
    flag: 'log-level',
    env: 'LOG_LEVEL',
    help: 'fatal|error|warn|info|debug|trace|silent (default info)',
  },
  storefrontDir: {
    flag: 'storefront-dir',
    env: 'STOREFRONT_DIR',
    help: 'static storefront files served at / (default sync-client/storefront-dist if present)',
  },
  platform: {
    flag: 'platform',
    env: 'PLATFORM',
    help: 'on|off: mount catalog/search and orders (default on; off = carts only)',
  },
  shutdownTimeoutMs: {
    flag: 'shutdown-timeout-ms',
    env: 'SHUTDOWN_TIMEOUT_MS',
    help: 'drain time on SIGTERM (default 10000)',
  },
  shutdownGraceMs: {
    flag: 'shutdown-grace-ms',
    env: 'SHUTDOWN_GRACE_MS',
    help: 'on SIGTERM, /readyz answers 503 this long before the listener closes (default 5000; 0 = close at once)',
  },
  accessLog: {
    flag: 'access-log',
    env: 'ACCESS_LOG',
    help: 'on|off: one JSON log line per HTTP request with its request id (default on)',
  },
  maxBodyBytes: { flag: 'max-body-bytes', env: 'MAX_BODY_BYTES', help: 'largest HTTP body (default 65536)' },
  maxLinesPerCart: {
    flag: 'max-lines-per-cart',
    env: 'MAX_LINES_PER_CART',
    help: 'lines per cart (default 500)',
  },
  maxWsPayloadBytes: {
    flag: 'max-ws-payload-bytes',
    env: 'MAX_WS_PAYLOAD_BYTES',
    help: 'largest WebSocket message (default 1048576)',
  },
  wsMessagesPerSecond: {
    flag: 'ws-messages-per-second',
    env: 'WS_MESSAGES_PER_SECOND',
    help: 'client sync messages/s per connection (default 50)',
  },
} as const satisfies Record<string, Option>;

type Key = keyof typeof OPTIONS;

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be ≥ ${min}`).max(max, `must be ≤ ${max}`));

const NODE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** The base URL (origin, http or https) of a node from http(s):// or ws(s)://; undefined if it is not one. */
export function normalizeNodeUrl(raw: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return undefined;
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol) || parsed.host === '') return undefined;
  return parsed.origin.replace(/^ws/, 'http');
}

function parsePeers(raw: string, problems: string[]): PeerConfig[] {
  const peers: PeerConfig[] = [];
  for (const part of raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)) {
    const eq = part.indexOf('=');
    const id = eq > 0 ? part.slice(0, eq) : '';
    const url = eq > 0 ? part.slice(eq + 1) : '';
    if (!NODE_ID.test(id)) {
      problems.push(`--peers (PEERS): '${part}' must look like id=http://host:port`);
      continue;
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      problems.push(`--peers (PEERS): peer ${id} has an invalid URL '${url}'`);
      continue;
    }
    if (!['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol)) {
      problems.push(`--peers (PEERS): peer ${id} URL must be http(s):// or ws(s)://`);
      continue;
    }
    if (peers.some((p) => p.id === id)) problems.push(`--peers (PEERS): peer ${id} listed twice`);
    peers.push({ id, url: parsed.origin.replace(/^ws/, 'http') });
  }
  return peers;
}

export interface LoadConfigInput {
  readonly argv?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
}

/** The usage text printed by `cart-server --help`. */
export function usage(): string {
  const lines = ['Usage: cart-server [options]   (every option also reads the env var in brackets)', ''];
  for (const o of Object.values(OPTIONS) as Option[]) {
    lines.push(`  --${o.flag.padEnd(24)} [${o.env}]`);
    lines.push(`      ${o.help}`);
  }
  return lines.join('\n');
}

/** Parses and validates flags + env. Throws ConfigError listing every problem. */
export function loadConfig(input: LoadConfigInput = {}): ServerConfig {
  const env = input.env ?? process.env;
  const cwd = input.cwd ?? process.cwd();
  const problems: string[] = [];
  let values: Record<string, string | boolean | undefined> = {};
  try {
    const options: Record<string, { type: 'string' | 'boolean' }> = {};
    for (const o of Object.values(OPTIONS) as Option[])
      options[o.flag] = { type: o.boolean ? 'boolean' : 'string' };
    values = parseArgs({
      args: [...(input.argv ?? [])],
      options,
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new ConfigError([(err as Error).message]);
  }
  const raw = (key: Key): string | undefined => {
    const o = OPTIONS[key];
    const v = values[o.flag];
    if (typeof v === 'string') return v;
    const e = env[o.env];
    return e === undefined || e === '' ? undefined : e;
  };
  const read = <T>(key: Key, schema: z.ZodType<T, string>, fallback: T): T => {
    const v = raw(key);
    if (v === undefined) return fallback;
    const result = schema.safeParse(v);
    if (result.success) return result.data;
    const o = OPTIONS[key];
    problems.push(`--${o.flag} (${o.env}): ${result.error.issues[0]?.message ?? 'invalid'}, got '${v}'`);
    return fallback;
  };

  const host = read('host', z.string().min(1), '127.0.0.1');
  const port = read('port', int(0, 65535), 8080);
  const dataDir = resolve(cwd, read('dataDir', z.string().min(1), './data'));
  const nodeId = read('nodeId', z.string().regex(NODE_ID, 'must match [A-Za-z0-9_.-]{1,64}'), 'n1');
  const peersRaw = raw('peers');
  const peers = peersRaw === undefined ? [] : parsePeers(peersRaw, problems);
  if (peers.some((p) => p.id === nodeId))
    problems.push(`--peers (PEERS): lists this node's own id ${nodeId}`);
  const nodeUrl = (key: 'join' | 'advertiseUrl'): string | undefined => {
    const v = raw(key);
    if (v === undefined) return undefined;
    const url = normalizeNodeUrl(v);
    if (url === undefined) {
      const o = OPTIONS[key];
      problems.push(`--${o.flag} (${o.env}): must be an http(s):// URL, got '${v}'`);
    }
    return url;
  };
  const join = nodeUrl('join');
  const advertiseUrl = nodeUrl('advertiseUrl');
  if (join !== undefined && peers.length > 0)
    problems.push('--join (JOIN): a joining node learns its peers from the cluster; drop --peers (PEERS)');
  const joinCommit = read('joinCommit', z.enum(['on', 'off'], 'must be on or off'), 'on') === 'on';
  const ringSize = read(
    'ringSize',
    int(8, 1024).refine((v) => (v & (v - 1)) === 0, 'must be a power of two'),
    64,
  );
  const members = peers.length + 1;
  const nWanted = read('n', int(1, 16), 3);
  const n = Math.min(nWanted, members);
  const rWanted = read('r', int(1, 16), 2);
  const wWanted = read('w', int(1, 16), 2);
  if (raw('r') !== undefined && rWanted > nWanted)
    problems.push(`--r (CART_R): ${rWanted} exceeds N=${nWanted}`);
  if (raw('w') !== undefined && wWanted > nWanted)
    problems.push(`--w (CART_W): ${wWanted} exceeds N=${nWanted}`);
  const requestTimeoutMs = read('requestTimeoutMs', int(10, 600_000), 3000);
  const heartbeatIntervalMs = read('heartbeatIntervalMs', int(10, 600_000), 1000);
  const failureTimeoutMs = read('failureTimeoutMs', int(10, 600_000), 5000);
  const handoffIntervalMs = read('handoffIntervalMs', int(10, 600_000), 2000);
  const aaeIntervalMs = read('aaeIntervalMs', int(10, 3_600_000), 5000);
  const fsync = read('fsync', z.enum(['always', 'never'], 'must be always or never'), 'always');
  const production = env.NODE_ENV === 'production';
  const secret = read('jwtSecret', z.string().min(32, 'must be at least 32 characters'), '');
  if (secret === '' && production && raw('jwtSecret') === undefined) {
    problems.push('--jwt-secret (JWT_SECRET): required when NODE_ENV=production');
  }
  const httpUrl = z.string().refine((v) => {
    try {
      return ['http:', 'https:'].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, 'must be an http(s):// URL');
  const jwksUrl = read('jwksUrl', httpUrl, undefined as string | undefined);
  const jwtIssuer = read('jwtIssuer', z.string().min(1), undefined as string | undefined);
  const jwtAudience = read('jwtAudience', z.string().min(1), undefined as string | undefined);
  if (jwksUrl === undefined && (jwtIssuer !== undefined || jwtAudience !== undefined))
    problems.push(
      '--jwt-issuer/--jwt-audience (JWT_ISSUER/JWT_AUDIENCE): only apply with --jwks-url (JWKS_URL)',
    );
  const redisUrl = read(
    'redisUrl',
    z.string().regex(/^rediss?:\/\/.+/, 'must be a redis:// or rediss:// URL'),
    undefined as string | undefined,
  );
  const databaseUrl = read(
    'databaseUrl',
    z.string().regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// or postgresql:// URL'),
    undefined as string | undefined,
  );
  const logLevel = read(
    'logLevel',
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'must be a pino level'),
    'info',
  );
  const storefront = raw('storefrontDir');
  const platform = read('platform', z.enum(['on', 'off'], 'must be on or off'), 'on') === 'on';
  const shutdownTimeoutMs = read('shutdownTimeoutMs', int(0, 600_000), 10_000);
  const shutdownGraceMs = read('shutdownGraceMs', int(0, 600_000), 5_000);
  const accessLog = read('accessLog', z.enum(['on', 'off'], 'must be on or off'), 'on') === 'on';
  const maxWsPayloadBytes = read('maxWsPayloadBytes', int(1024, 64 * 1024 * 1024), 1024 * 1024);
  const limits: Limits = {
    maxBodyBytes: read('maxBodyBytes', int(1024, 64 * 1024 * 1024), 64 * 1024),
    maxLinesPerCart: read('maxLinesPerCart', int(1, 100_000), 500),
    maxWsPayloadBytes,
    wsMessagesPerSecond: read('wsMessagesPerSecond', int(1, 100_000), 50),
    wsBytesPerSecond: maxWsPayloadBytes,
    maxQueuedWsFrames: 64,
    maxWsBufferedBytes: 4 * 1024 * 1024,
    maxSubscriptionsPerConnection: 32,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    host,
    port,
    dataDir,
    nodeId,
    peers,
    advertiseUrl,
    join,
    joinCommit,
    ringSize,
    n,
    r: Math.min(rWanted, n),
    w: Math.min(wWanted, n),
    requestTimeoutMs,
    heartbeatIntervalMs,
    failureTimeoutMs,
    handoffIntervalMs,
    aaeIntervalMs,
    fsync,
    jwtSecret: secret === '' ? DEV_JWT_SECRET : secret,
    devSecret: secret === '',
    jwksUrl,
    jwtIssuer,
    jwtAudience,
    redisUrl,
    databaseUrl,
    logLevel,
    storefrontDir: storefront === undefined ? undefined : resolve(cwd, storefront),
    platform,
    shutdownTimeoutMs,
    shutdownGraceMs,
    accessLog,
    limits,
  };
}
