/**
 * Bearer tokens: HS256 JWTs signed and verified with hono's jwt helper, and — with `--jwks-url` —
 * RS256/ES256 tokens of an identity provider checked against its key set (jwks.ts). Claims (SPEC §3):
 * `sub` user id, optional `act` (a device actor id the server minted in POST /v1/devices), `role`.
 *
 * The `act` claim is the proof that a device is registered: only this server's secret can sign it,
 * so every node of a cluster (sharing the secret) can check a device's dots without a registry
 * lookup on the hot path.
 */
import { sign, verify } from 'hono/jwt';
import { z } from 'zod';
import { ApiError } from '../http/errors.js';
import { RemoteJwks } from './jwks.js';

export type Role = 'user' | 'seller' | 'admin';

export interface AuthClaims {
  readonly sub: string;
  readonly act?: string;
  readonly role: Role;
}

/** User ids: no '/', since the replication key is `${userId}/${cartId}`. */
export const USER_ID = /^[A-Za-z0-9_.@:+-]{1,128}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const claimsSchema = z.object({
  sub: z.string().regex(USER_ID),
  act: z.string().regex(UUID).optional(),
  role: z.enum(['user', 'seller', 'admin']).default('user'),
  exp: z.number().optional(),
});

/** Longest token accepted (a real one is ~250 bytes); bounds work done on hostile headers. */
export const MAX_TOKEN_CHARS = 4096;

export interface SignOptions {
  /** Lifetime in seconds (default 24 h); 0 = no `exp` claim. */
  readonly ttlSeconds?: number;
  readonly now?: () => number;
}

export async function signToken(
  secret: string,
  claims: AuthClaims,
  options: SignOptions = {},
): Promise<string> {
  if (!USER_ID.test(claims.sub)) throw new TypeError(`invalid user id ${JSON.stringify(claims.sub)}`);
  if (claims.act !== undefined && !UUID.test(claims.act)) throw new TypeError('act must be a UUID');
  const now = Math.floor((options.now ?? Date.now)() / 1000);
  const ttl = options.ttlSeconds ?? 24 * 3600;
  const payload: Record<string, string | number> = { sub: claims.sub, role: claims.role, iat: now };
  if (claims.act !== undefined) payload.act = claims.act;
  if (ttl > 0) payload.exp = now + ttl;
  return sign(payload, secret, 'HS256');
}

/** Verifies signature, expiry and claim shapes; throws ApiError UNAUTHORIZED / TOKEN_EXPIRED. */
export async function verifyToken(secret: string, token: string): Promise<AuthClaims> {
  checkTokenSize(token);
  let payload: unknown;
  try {
    payload = await verify(token, secret, 'HS256');
  } catch (err) {
    const expired = err instanceof Error && err.name === 'JwtTokenExpired';
    throw new ApiError(
      expired ? 'TOKEN_EXPIRED' : 'UNAUTHORIZED',
      expired ? 'token expired' : 'invalid token',
      {
        cause: err,
      },
    );
  }
  return claimsOf(payload);
}

function checkTokenSize(token: string): void {
  if (token.length === 0 || token.length > MAX_TOKEN_CHARS) {
    throw new ApiError('UNAUTHORIZED', 'missing or oversized bearer token');
  }
}

function claimsOf(payload: unknown): AuthClaims {
  const parsed = claimsSchema.safeParse(payload);
  if (!parsed.success) throw new ApiError('UNAUTHORIZED', 'token claims are invalid');
  const { sub, act, role } = parsed.data;
  return act === undefined ? { sub, role } : { sub, act, role };
}

export interface TokenVerifierOptions {
  /**
   * An identity provider's key set (`--jwks-url`): asymmetric tokens (RS256, ES256, …) are
   * checked against it; HS256 tokens still against the shared secret (devices, cluster, tests).
   */
  readonly jwks?: RemoteJwks | undefined;
  /** Verified tokens remembered (default 10,000). */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

/**
 * A verifier that remembers tokens it has already verified (until their `exp`), bounded in size.
 * hono's verify goes through WebCrypto (importKey + HMAC on the libuv thread pool) on every call;
 * a client reuses its token for many requests, so caching the *result* removes that round trip
 * from the hot path without weakening anything: the cache key is the whole signed token.
 *
 * A provider's token gets the same claim checks as ours (sub pattern, role), except that it may
 * not carry `act`: that claim proves a device registration only this server's secret can sign.
 */
export class TokenVerifier {
  private readonly cache = new Map<string, { claims: AuthClaims; expiresAtMs: number }>();
  private readonly jwks: RemoteJwks | undefined;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly secret: string,
    options: TokenVerifierOptions = {},
  ) {
    this.jwks = options.jwks;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async verify(token: string): Promise<AuthClaims> {
    const hit = this.cache.get(token);
    if (hit !== undefined) {
      if (hit.expiresAtMs > this.now()) return hit.claims;
      this.cache.delete(token);
    }
    const claims = await this.verifyUncached(token);
    const exp = (decodeExp(token) ?? Number.POSITIVE_INFINITY) * 1000;
    if (this.cache.size >= this.maxEntries) {
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
    this.cache.set(token, { claims, expiresAtMs: Math.min(exp, this.now() + 3_600_000) });
    return claims;
  }

  private async verifyUncached(token: string): Promise<AuthClaims> {
    if (this.jwks === undefined || !RemoteJwks.isAsymmetric(token)) return verifyToken(this.secret, token);
    checkTokenSize(token);
    const payload = await this.jwks.verify(token);
    if (payload.act !== undefined)
      throw new ApiError(
        'UNAUTHORIZED',
        'an identity provider token cannot carry act (device tokens come from POST /v1/devices)',
      );
    return claimsOf(payload);
  }
}

/** The one verifier of a server: its shared secret, plus the identity provider's keys when configured. */
export function createTokenVerifier(config: {
  readonly jwtSecret: string;
  readonly jwksUrl?: string | undefined;
  readonly jwtIssuer?: string | undefined;
  readonly jwtAudience?: string | undefined;
}): TokenVerifier {
  const jwks =
    config.jwksUrl === undefined
      ? undefined
      : new RemoteJwks({ url: config.jwksUrl, issuer: config.jwtIssuer, audience: config.jwtAudience });
  return new TokenVerifier(config.jwtSecret, { jwks });
}

function decodeExp(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      exp?: unknown;
    };
    return typeof payload.exp === 'number' ? payload.exp : undefined;
  } catch {
    return undefined;
  }
}

/** Extracts the JWT from `Authorization: Bearer <jwt>`; undefined when absent. */
export function bearerFromHeader(header: string | undefined | null): string | undefined {
  if (header === undefined || header === null) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/**
 * Extracts the JWT of a WebSocket upgrade: `Sec-WebSocket-Protocol: bearer.<jwt>` (browsers cannot
 * set headers), `?token=<jwt>`, or the Authorization header.
 */
export function bearerFromUpgrade(
  url: URL,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): string | undefined {
  const protocols = headers['sec-websocket-protocol'];
  const list = (Array.isArray(protocols) ? protocols.join(',') : (protocols ?? ''))
    .split(',')
    .map((s) => s.trim());
  const fromProtocol = list.find((p) => p.startsWith('bearer.'));
  if (fromProtocol !== undefined) return fromProtocol.slice('bearer.'.length);
  const q = url.searchParams.get('token');
  if (q !== null) return q;
  const auth = headers.authorization;
  return bearerFromHeader(Array.isArray(auth) ? auth[0] : auth);
}
