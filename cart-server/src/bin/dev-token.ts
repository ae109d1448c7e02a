/**
 * `npm run dev-token -- --sub alice [--role user|seller|admin] [--act <uuid>] [--ttl 86400]`
 * prints a bearer token signed with JWT_SECRET (or the development secret when unset), for local
 * use with curl and the storefront. Never hand these out in production.
 */
import { parseArgs } from 'node:util';
import { type AuthClaims, type Role, signToken } from '../auth/tokens.js';
import { DEV_JWT_SECRET } from '../config/config.js';

export async function devToken(argv: readonly string[], env = process.env): Promise<string> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      sub: { type: 'string', default: 'dev-user' },
      role: { type: 'string', default: 'user' },
      act: { type: 'string' },
      ttl: { type: 'string', default: String(24 * 3600) },
      'jwt-secret': { type: 'string' },
    },
    strict: true,
  });
  const role = values.role as Role;
  if (!['user', 'seller', 'admin'].includes(role)) throw new Error('--role must be user, seller or admin');
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl < 0) throw new Error('--ttl must be a whole number of seconds');
  const claims: AuthClaims =
    values.act === undefined ? { sub: values.sub, role } : { sub: values.sub, act: values.act, role };
  const secret = values['jwt-secret'] || env.JWT_SECRET || DEV_JWT_SECRET;
  return signToken(secret, claims, { ttlSeconds: ttl });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  devToken(process.argv.slice(2)).then(
    (token) => process.stdout.write(`${token}\n`),
    (err: Error) => {
      process.stderr.write(`dev-token: ${err.message}\n`);
      process.exit(2);
    },
  );
}
