/**
 * Device registration: `POST /v1/devices` mints a fresh actor id (UUID v4) for the user and returns
 * a token carrying it as `act`. The registration is recorded (for listing), but the proof that a
 * device owns an actor is the signed token itself, so every node of a cluster can check it.
 */
import { randomUUID } from 'node:crypto';
import type { Storage } from '@cartwheel/crdt';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AuthVariables } from '../auth/middleware.js';
import { signToken } from '../auth/tokens.js';
import { readJson } from '../carts/validation.js';
import { ApiError } from '../http/errors.js';

const NS = 'cartwheel-devices';
const MAX_DEVICES_PER_USER = 100;

const registerSchema = z.strictObject({ name: z.string().min(1).max(64).optional() }).default({});

export interface DeviceRecord {
  readonly actor: string;
  readonly name?: string;
  readonly createdAt: string;
}

export function createDeviceRoutes(options: {
  storage: Storage;
  secret: string;
  tokenTtlSeconds?: number;
}): Hono<{ Variables: AuthVariables }> {
  const app = new Hono<{ Variables: AuthVariables }>();
  const enc = new TextEncoder();
  const dec = new TextDecoder();

  const list = async (userId: string): Promise<DeviceRecord[]> => {
    const out: DeviceRecord[] = [];
    for await (const [key, value] of options.storage.entries(NS, 0)) {
      if (!key.startsWith(`${userId}/`)) continue;
      out.push(JSON.parse(dec.decode(value)) as DeviceRecord);
    }
    return out;
  };

  app.post('/devices', async (c) => {
    const body = await readJson(c, registerSchema, { allowEmpty: true });
    const userId = c.var.auth.sub;
    if ((await list(userId)).length >= MAX_DEVICES_PER_USER) {
      throw new ApiError('RATE_LIMITED', `at most ${MAX_DEVICES_PER_USER} devices per user`);
    }
    const actor = randomUUID();
    const record: DeviceRecord = {
      actor,
      ...(body.name === undefined ? {} : { name: body.name }),
      createdAt: new Date().toISOString(),
    };
    await options.storage.put(NS, 0, `${userId}/${actor}`, enc.encode(JSON.stringify(record)));
    const token = await signToken(
      options.secret,
      { sub: userId, act: actor, role: c.var.auth.role },
      { ttlSeconds: options.tokenTtlSeconds ?? 30 * 24 * 3600 },
    );
    return c.json({ actor, token }, 201);
  });

  app.get('/devices', async (c) => c.json({ devices: await list(c.var.auth.sub) }));

  return app;
}
