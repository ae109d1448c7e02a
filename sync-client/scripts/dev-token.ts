/**
 * Development sign-in: prints a user JWT signed with the cart server's development secret (or
 * $JWT_SECRET) and a storefront link that signs in with it.
 *   npx tsx sync-client/scripts/dev-token.ts [userId] [baseUrl]
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

if (process.argv[1]?.endsWith('dev-token.ts')) {
  const user = process.argv[2] ?? 'alice';
  const base = process.argv[3] ?? `http://localhost:${process.env.PORT ?? 8080}`;
  const token = signDevToken(user);
  console.log(token);
  console.log(`${base}/?token=${token}`);
}
