/**
 * Tokens from an identity provider: RS256/ES256 (and the other asymmetric JWS algorithms) JWTs
 * checked against the provider's JSON Web Key Set (RFC 7517) fetched from `--jwks-url`.
 *
 * hono's `verifyWithJwks` checks the signature, `exp`/`nbf`/`iat` and optionally `iss`/`aud`, but
 * fetches the key set on every call; this keeps the set in memory and fetches it again when it
 * is older than `maxAgeMs`, or when a token names a key id the set does not hold (the provider
 * rotated its keys) — at most once per `cooldownMs`, so tokens with made-up key ids cannot make
 * the server hammer the provider. Concurrent misses share one fetch.
 */
import { decode, verifyWithJwks } from 'hono/jwt';
import type { HonoJsonWebKey } from 'hono/utils/jwt/jws';
import { ApiError } from '../http/errors.js';

/** The asymmetric algorithms accepted from a key set (symmetric ones never are: HS256 is our own). */
const ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

export interface RemoteJwksOptions {
  /** https:// (or loopback http://) URL of the provider's key set, e.g. …/.well-known/jwks.json */
  readonly url: string;
  /** Required `iss` claim, when set. */
  readonly issuer?: string | undefined;
  /** Accepted `aud` claim, when set. */
  readonly audience?: string | undefined;
  /** Refetch a key set older than this (default 10 min). */
  readonly maxAgeMs?: number;
  /** Fewest ms between two fetches caused by an unknown key id (default 30 s). */
  readonly cooldownMs?: number;
  /** A fetch slower than this fails (default 5 s). */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

export class RemoteJwks {
  readonly url: string;
  private keys: HonoJsonWebKey[] | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<HonoJsonWebKey[]> | undefined;
  private readonly maxAgeMs: number;
  private readonly cooldownMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: RemoteJwksOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new TypeError(`jwks url must be a URL, got ${JSON.stringify(options.url)}`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
      throw new TypeError('jwks url must be http(s)://');
    this.url = parsed.href;
    this.maxAgeMs = options.maxAgeMs ?? 600_000;
    this.cooldownMs = options.cooldownMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  /** Whether `token` is signed with an asymmetric algorithm (else it is ours, HS256). */
  static isAsymmetric(token: string): boolean {
    try {
      const { header } = decode(token);
      return (ALGORITHMS as readonly string[]).includes(header.alg);
    } catch {
      return false;
    }
  }

  /**
   * Verifies signature and registered claims; returns the payload for the caller's claim checks.
   * Throws ApiError UNAUTHORIZED / TOKEN_EXPIRED, or IDENTITY_PROVIDER_UNAVAILABLE (503) when
   * no key set could be fetched.
   */
  async verify(token: string): Promise<Record<string, unknown>> {
    let header: ReturnType<typeof decode>['header'];
    try {
      header = decode(token).header;
    } catch (err) {
      throw new ApiError('UNAUTHORIZED', 'invalid token', { cause: err });
    }
    let keys = await this.currentKeys(false);
    if (header.kid !== undefined && !keys.some((k) => k.kid === header.kid))
      keys = await this.currentKeys(true);
    try {
      return (await verifyWithJwks(token, {
        keys,
        allowedAlgorithms: ALGORITHMS,
        verification: {
          ...(this.options.issuer === undefined ? {} : { iss: this.options.issuer }),
          ...(this.options.audience === undefined ? {} : { aud: this.options.audience }),
          // OAuth 2.0 access tokens are typed at+jwt (RFC 9068); a token without typ is fine too.
          ...(header.typ === undefined ? {} : { typ: ['JWT', 'at+jwt'] }),
        },
      })) as Record<string, unknown>;
    } catch (err) {
      const expired = err instanceof Error && err.name === 'JwtTokenExpired';
      throw new ApiError(
        expired ? 'TOKEN_EXPIRED' : 'UNAUTHORIZED',
        expired ? 'token expired' : 'invalid token',
        { cause: err },
      );
    }
  }

  private async currentKeys(unknownKid: boolean): Promise<HonoJsonWebKey[]> {
    const now = this.now();
    const outdated = this.keys === undefined || unknownKid || now - this.fetchedAt >= this.maxAgeMs;
    if (!outdated && this.keys !== undefined) return this.keys;
    // Without keys, retry after a second; with keys, refetch at most once per cooldown.
    const mayFetch = now - this.attemptedAt >= (this.keys === undefined ? 1_000 : this.cooldownMs);
    if (this.inflight === undefined && !mayFetch) return this.keysOrUnavailable(undefined);
    if (this.inflight === undefined) {
      this.attemptedAt = now;
      this.inflight = this.fetchKeys().finally(() => {
        this.inflight = undefined;
      });
    }
    try {
      return await this.inflight;
    } catch (err) {
      return this.keysOrUnavailable(err);
    }
  }

  /** A provider outage does not lock out holders of tokens signed by keys we already know. */
  private keysOrUnavailable(cause: unknown): HonoJsonWebKey[] {
    if (this.keys !== undefined) return this.keys;
    throw new ApiError(
      'IDENTITY_PROVIDER_UNAVAILABLE',
      `cannot fetch the identity provider keys from ${this.url}`,
      {
        cause,
      },
    );
  }

  private async fetchKeys(): Promise<HonoJsonWebKey[]> {
    const res = await fetch(this.url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new Error(`GET ${this.url} answered ${res.status}`);
    const body = (await res.json()) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new Error(`${this.url} holds no "keys" array`);
    // Only signature keys: an encryption key with the same kid must not be tried.
    const keys = (body.keys as HonoJsonWebKey[]).filter(
      (k) => typeof k === 'object' && k !== null && (k.use === undefined || k.use === 'sig'),
    );
    this.keys = keys;
    this.fetchedAt = this.now();
    return keys;
  }
}
