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

/** Plain 'data'/'end' events: cheaper than an async iterator over the stream for a tiny body. */
function readBounded(incoming: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    if (incoming.readableEnded) {
      resolve('');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        incoming.resume(); // drain the rest; the 413 is sent meanwhile
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(
        chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8'),
      );
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new ApiError('BAD_REQUEST', 'request body could not be read', { cause: err }));
    };
    const onClose = () => {
      cleanup();
      reject(new ApiError('BAD_REQUEST', 'request closed before its body was read'));
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
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
    bodies.set(incoming, await readBounded(incoming, maxBytes));
    return next();
  };
}

/** The body boundedBody read for this request, or the WHATWG body when it did not run. */
export async function bodyText(c: Context): Promise<string> {
  const incoming = incomingOf(c);
  const text = bodies.get(incoming ?? c.req.raw);
  return text ?? c.req.text();
}
