/**
 * Reads the `exp` claim of a JWT without verifying it — only to refresh credentials before the
 * server refuses them: a refused WebSocket upgrade reaches a browser as a bare close (1006),
 * with no status to tell "expired" from "server down". Returns undefined for anything that is
 * not a JWT with a numeric `exp`.
 */
export function jwtExpiresAtMs(token: string): number | undefined {
  const part = token.split('.')[1];
  if (part === undefined || part.length > 4096) return undefined;
  try {
    const b64 = part
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(part.length / 4) * 4, '=');
    const claims: unknown = JSON.parse(atob(b64));
    const exp = (claims as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
