/**
 * Bounded request bodies read straight from Node's IncomingMessage.
 *
 * hono's bodyLimit middleware touches `c.req.raw.body`, which makes @hono/node-server build a full
 * WHATWG Request (undici Request, AbortSignal, a web ReadableStream over the socket) for every
 * request — about a tenth of the CPU of a cart add in a profile. Reading the few hundred bytes of a
 * cart body from the Node stream directly, with the same bound, skips all of that. Outside the
 * Node adapter (app.request() in tests) there is no IncomingMessage and the WHATWG path is used.
 */
import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { ApiError } from './errors.js';

const bodies = new WeakMap<object, string>();

function incomingOf(c: Context): IncomingMessage | undefined {
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  return env?.incoming;
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError('PAYLOAD_TOO_LARGE', `request body exceeds ${maxBytes} bytes`);
}

/** Reads and bounds the body of POST/PUT/PATCH/DELETE requests (413 PAYLOAD_TOO_LARGE above). */
export function boundedBody(maxBytes: number): MiddlewareHandler {
  return async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
    const incoming = incomingOf(c);
    if (incoming === undefined) {
      // Not on the Node adapter: read through the WHATWG Request, with the same bound.
      const buf = new Uint8Array(await c.req.raw.arrayBuffer());
      if (buf.byteLength > maxBytes) throw tooLarge(maxBytes);
      bodies.set(c.req.raw, new TextDecoder().decode(buf));
      return next();
    }
    const declared = incoming.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of incoming as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw tooLarge(maxBytes);
      chunks.push(chunk);
    }
    bodies.set(
      incoming,
      chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8'),
    );
    return next();
  };
}

/** The body boundedBody read for this request, or the WHATWG body when it did not run. */
export async function bodyText(c: Context): Promise<string> {
  const incoming = incomingOf(c);
  const text = bodies.get(incoming ?? c.req.raw);
  return text ?? c.req.text();
}
