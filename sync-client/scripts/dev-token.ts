/**
 * A synchronous user JWT (HS256) for the sync client's tests and bench, signed like the cart
 * server's tokens. Not a command: to get a development token, run
 * `npm run -s dev-token -- --sub alice` (the cart server's `dev-token`, which works on Node 20;
 * `node` cannot run this TypeScript file there).
 */
import { createHmac } from 'node:crypto';

const DEV_SECRET = 'cartwheel-dev-secret-do-not-use-in-production';

export function signDevToken(
  userId: string,
  secret = process.env.JWT_SECRET ?? DEV_SECRET,
  ttlSeconds = 86_400,
): string {
  const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ sub: userId, role: 'user', iat: now, exp: now + ttlSeconds }));
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}
