import { describe, expect, it } from 'vitest';
import { jwtExpiresAtMs } from './jwt-expiry.js';

describe('jwtExpiresAtMs', () => {
  const jwt = (claims: object) =>
    `eyJhbGciOiJIUzI1NiJ9.${btoa(JSON.stringify(claims)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}.sig`;
  it('reads exp from a JWT payload and ignores anything else', () => {
    expect(jwtExpiresAtMs(jwt({ sub: 'u', exp: 1700000000 }))).toBe(1700000000_000);
    expect(jwtExpiresAtMs(jwt({ sub: 'u' }))).toBeUndefined();
    expect(jwtExpiresAtMs('opaque-token')).toBeUndefined();
    expect(jwtExpiresAtMs('a.%%%.c')).toBeUndefined();
  });
});
