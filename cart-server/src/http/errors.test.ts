import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiError, classifyError, handleError, handleNotFound, statusForCode } from './errors.js';

describe('statusForCode', () => {
  it('maps table codes and falls back by suffix, then 500', () => {
    expect(statusForCode('QUORUM_NOT_MET')).toBe(503);
    expect(statusForCode('RATE_LIMITED')).toBe(429);
    expect(statusForCode('PAYLOAD_TOO_LARGE')).toBe(413);
    expect(statusForCode('WIDGET_NOT_FOUND')).toBe(404);
    expect(statusForCode('STOCK_CONFLICT')).toBe(409);
    expect(statusForCode('INVALID_PRICE')).toBe(400);
    expect(statusForCode('SEARCH_UNAVAILABLE')).toBe(503);
    expect(statusForCode('SOMETHING_ODD')).toBe(500);
  });

  it('maps the crdt error codes by their code string', () => {
    expect(statusForCode('CRDT_DECODE_ERROR')).toBe(400);
    expect(statusForCode('CRDT_INVALID_OP')).toBe(400);
    expect(statusForCode('CRDT_LIMIT_EXCEEDED')).toBe(413);
    expect(statusForCode('CRDT_CAUSAL_GAP')).toBe(409);
    expect(statusForCode('DELTA_TOO_LARGE')).toBe(413);
    expect(statusForCode('CART_TOO_LARGE')).toBe(400);
    expect(statusForCode('CART_UNREADABLE')).toBe(500);
    // Mapped by `code`, not by class: an error from a crdt version this server was not built with.
    const gap = Object.assign(new Error('delta depends on dots this replica has not seen'), {
      code: 'CRDT_CAUSAL_GAP',
    });
    expect(classifyError(gap)).toEqual({
      code: 'CRDT_CAUSAL_GAP',
      status: 409,
      message: 'delta depends on dots this replica has not seen',
    });
  });
});

describe('classifyError', () => {
  it('keeps stable codes of typed errors and hides internals', () => {
    const typed = Object.assign(new Error('bad bytes'), { code: 'CRDT_DECODE_ERROR' });
    expect(classifyError(typed)).toMatchObject({
      code: 'CRDT_DECODE_ERROR',
      status: 400,
      message: 'bad bytes',
    });
    const sys = Object.assign(new Error('socket hang up /secret/path'), { code: 'ECONNRESET' });
    expect(classifyError(sys)).toEqual({ code: 'INTERNAL', status: 500, message: 'internal error' });
    expect(classifyError(new HTTPException(413))).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
    const zodErr = z.object({ a: z.string() }).safeParse({}).error;
    expect(classifyError(zodErr)).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    expect(classifyError('a string')).toMatchObject({ code: 'INTERNAL', status: 500 });
  });
});

describe('handleError', () => {
  it('answers {error:{code,message}} with the mapped status', async () => {
    const app = new Hono();
    app.onError(handleError);
    app.notFound(handleNotFound);
    app.get('/quorum', () => {
      throw new ApiError('QUORUM_NOT_MET', 'only 1 of 2 replicas answered');
    });
    const res = await app.request('/quorum');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: { code: 'QUORUM_NOT_MET', message: 'only 1 of 2 replicas answered' },
    });
    const missing = await app.request('/nope');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
