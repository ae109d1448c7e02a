/** Hono middleware that authenticates a bearer token and exposes its claims as `c.var.auth`. */
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../http/errors.js';
import { type AuthClaims, bearerFromHeader, type Role, TokenVerifier } from './tokens.js';

export type AuthVariables = { auth: AuthClaims };

export function requireAuth(secret: string | TokenVerifier): MiddlewareHandler<{ Variables: AuthVariables }> {
  const verifier = typeof secret === 'string' ? new TokenVerifier(secret) : secret;
  return async (c, next) => {
    const token = bearerFromHeader(c.req.header('authorization'));
    if (token === undefined) {
      c.header('www-authenticate', 'Bearer');
      throw new ApiError('UNAUTHORIZED', 'missing bearer token (Authorization: Bearer <jwt>)');
    }
    c.set('auth', await verifier.verify(token));
    await next();
  };
}

export function requireRole(...roles: Role[]): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    if (!roles.includes(c.var.auth.role)) {
      throw new ApiError('ROLE_REQUIRED', `requires role ${roles.join(' or ')}`);
    }
    await next();
  };
}
