import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sign } from 'hono/jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteJwks } from './jwks.js';
import { signToken, TokenVerifier } from './tokens.js';

const SECRET = 'jwks-test-secret-0123456789abcdef0123';

interface KeyPair {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256';
  readonly publicJwk: JsonWebKey & { kid: string; alg: string; use: string };
  readonly privateJwk: JsonWebKey & { kid: string; alg: string };
}

async function keyPair(alg: 'RS256' | 'ES256', kid: string): Promise<KeyPair> {
  const params =
    alg === 'RS256'
      ? {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength: 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: 'SHA-256',
        }
      : { name: 'ECDSA', namedCurve: 'P-256' };
  const pair = (await crypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
  const publicJwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
  const privateJwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
  return {
    kid,
    alg,
    publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
    privateJwk: { ...privateJwk, kid, alg },
  };
}

/** A provider's token: signed with `key`, one hour valid unless the claims say otherwise. */
function idpToken(key: KeyPair, claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  // biome-ignore lint/suspicious/noExplicitAny: hono's sign takes a JWK with alg and kid.
  return sign({ iat: now, exp: now + 3600, ...claims }, key.privateJwk as any);
}

/** The identity provider: a loopback HTTP server answering GET /jwks.json with `keys`. */
let keys: KeyPair['publicJwk'][] = [];
let fetches = 0;
let down = false;
let server: Server;
let jwksUrl: string;
let rsa: KeyPair;
let ec: KeyPair;

beforeAll(async () => {
  rsa = await keyPair('RS256', 'rsa-1');
  ec = await keyPair('ES256', 'ec-1');
  keys = [rsa.publicJwk, ec.publicJwk];
  server = createServer((req, res) => {
    fetches++;
    if (down || req.url !== '/jwks.json') {
      res.writeHead(down ? 503 : 404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});

afterAll(async () => {
  server.close();
  await once(server, 'close');
});

function verifier(options: Partial<ConstructorParameters<typeof RemoteJwks>[0]> = {}): TokenVerifier {
  return new TokenVerifier(SECRET, { jwks: new RemoteJwks({ url: jwksUrl, cooldownMs: 0, ...options }) });
}

describe('TokenVerifier with an identity provider key set (--jwks-url)', () => {
  it('accepts RS256 and ES256 tokens of the provider with the same claim rules as ours', async () => {
    const v = verifier();
    expect(await v.verify(await idpToken(rsa, { sub: 'alice' }))).toEqual({ sub: 'alice', role: 'user' });
    expect(await v.verify(await idpToken(ec, { sub: 'bob', role: 'admin' }))).toEqual({
      sub: 'bob',
      role: 'admin',
    });
    // Our own HS256 tokens (devices, tests) still verify against the shared secret.
    expect(await v.verify(await signToken(SECRET, { sub: 'carol', role: 'user' }))).toEqual({
      sub: 'carol',
      role: 'user',
    });
  });

  it('refuses bad signatures, bad claims, act, expired tokens and wrong issuer or audience', async () => {
    const v = verifier({ issuer: 'https://idp.test', audience: 'cartwheel' });
    const good = { sub: 'alice', iss: 'https://idp.test', aud: 'cartwheel' };
    expect(await v.verify(await idpToken(rsa, good))).toEqual({ sub: 'alice', role: 'user' });

    const forger = await keyPair('RS256', 'rsa-1'); // same kid, other key
    await expect(v.verify(await idpToken(forger, good))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(v.verify(await idpToken(rsa, { ...good, sub: 'a/b' }))).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    await expect(v.verify(await idpToken(rsa, { ...good, role: 'root' }))).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    await expect(
      v.verify(await idpToken(rsa, { ...good, act: '0b6c3f3e-8a4f-4d7e-9c1a-2b3c4d5e6f70' })),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('act') });
    const past = Math.floor(Date.now() / 1000) - 60;
    await expect(v.verify(await idpToken(rsa, { ...good, iat: past - 60, exp: past }))).rejects.toMatchObject(
      {
        code: 'TOKEN_EXPIRED',
      },
    );
    await expect(v.verify(await idpToken(rsa, { ...good, iss: 'https://evil.test' }))).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    await expect(v.verify(await idpToken(rsa, { ...good, aud: 'other-app' }))).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    // An HS256 token signed with anything but our secret stays invalid.
    await expect(
      v.verify(await sign({ sub: 'alice' }, 'not-our-secret-0123456789abcdef')),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('fetches the key set once, again when a token names a new key (rotation), and keeps known keys through an outage', async () => {
    const jwks = new RemoteJwks({ url: jwksUrl, cooldownMs: 0 });
    const v = new TokenVerifier(SECRET, { jwks });
    const before = fetches;
    await v.verify(await idpToken(rsa, { sub: 'u1' }));
    await v.verify(await idpToken(rsa, { sub: 'u2' }));
    await v.verify(await idpToken(ec, { sub: 'u3' }));
    expect(fetches - before).toBe(1);

    const rotated = await keyPair('RS256', 'rsa-2');
    keys = [...keys, rotated.publicJwk];
    expect(await v.verify(await idpToken(rotated, { sub: 'u4' }))).toMatchObject({ sub: 'u4' });
    expect(fetches - before).toBe(2);

    down = true;
    try {
      // A token of an unknown key during the outage: refused; a known key keeps working.
      const unknown = await keyPair('ES256', 'ec-9');
      await expect(v.verify(await idpToken(unknown, { sub: 'u5' }))).rejects.toMatchObject({
        code: 'UNAUTHORIZED',
      });
      expect(await v.verify(await idpToken(rsa, { sub: 'u6' }))).toMatchObject({ sub: 'u6' });
    } finally {
      down = false;
    }
  });

  it('answers IDENTITY_PROVIDER_UNAVAILABLE (503) when no key set could be fetched yet', async () => {
    down = true;
    try {
      const v = verifier();
      await expect(v.verify(await idpToken(rsa, { sub: 'alice' }))).rejects.toMatchObject({
        code: 'IDENTITY_PROVIDER_UNAVAILABLE',
        status: 503,
      });
    } finally {
      down = false;
    }
  });

  it('refuses a key set URL that is not http(s)', () => {
    expect(() => new RemoteJwks({ url: 'file:///etc/passwd' })).toThrow(TypeError);
    expect(() => new RemoteJwks({ url: 'not a url' })).toThrow(TypeError);
  });
});
