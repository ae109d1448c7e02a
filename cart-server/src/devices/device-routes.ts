/**
 * Device registration: `POST /v1/devices` mints a fresh actor id (UUID v4) for the user and returns
 * a token carrying it as `act`. The registration is recorded (for listing), but the proof that a
 * device owns an actor is the signed token itself, so every node of a cluster can check it.
 *
 * `POST /v1/devices {"actor"}` re-issues a token for an actor the same user registered before (a
 * sync device whose token expired keeps its actor, so its dots stay its own and the number of
 * actors does not grow with every login). The actor → user binding is kept durably in this node's
 * LevelDB (namespace `cartwheel-device-actors`, written in the same batch as the device record);
 * another user's actor is refused with 403, an actor this node never registered with 404.
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
/** actor → owning user id: who may ever be issued a token for this actor. */
const ACTORS_NS = 'cartwheel-device-actors';
const MAX_DEVICES_PER_USER = 100;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const registerSchema = z
  .strictObject({
    name: z.string().min(1).max(64).optional(),
    actor: z.string().regex(UUID, 'actor must be a lowercase UUID').optional(),
  })
  .default({});

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

  const issue = (userId: string, actor: string, role: AuthVariables['auth']['role']) =>
    signToken(
      options.secret,
      { sub: userId, act: actor, role },
      { ttlSeconds: options.tokenTtlSeconds ?? 30 * 24 * 3600 },
    );

  app.post('/devices', async (c) => {
    const body = await readJson(c, registerSchema, { allowEmpty: true });
    const userId = c.var.auth.sub;
    if (body.actor !== undefined) {
      const actor = body.actor;
      const owner = await options.storage.get(ACTORS_NS, 0, actor);
      if (owner !== undefined && dec.decode(owner) !== userId) {
        throw new ApiError('FORBIDDEN', 'this actor belongs to another user');
      }
      if (owner === undefined) {
        // Devices registered before the binding existed: their record is keyed by user.
        if ((await options.storage.get(NS, 0, `${userId}/${actor}`)) === undefined) {
          throw new ApiError('DEVICE_NOT_FOUND', 'no device with this actor is registered here');
        }
        await options.storage.put(ACTORS_NS, 0, actor, enc.encode(userId));
      }
      return c.json({ actor, token: await issue(userId, actor, c.var.auth.role) }, 200);
    }
    if ((await list(userId)).length >= MAX_DEVICES_PER_USER) {
      throw new ApiError('RATE_LIMITED', `at most ${MAX_DEVICES_PER_USER} devices per user`);
    }
    const actor = randomUUID();
    const record: DeviceRecord = {
      actor,
      ...(body.name === undefined ? {} : { name: body.name }),
      createdAt: new Date().toISOString(),
    };
    await options.storage.batch([
      {
        type: 'put',
        ns: NS,
        partition: 0,
        key: `${userId}/${actor}`,
        value: enc.encode(JSON.stringify(record)),
      },
      { type: 'put', ns: ACTORS_NS, partition: 0, key: actor, value: enc.encode(userId) },
    ]);
    return c.json({ actor, token: await issue(userId, actor, c.var.auth.role) }, 201);
  });

  app.get('/devices', async (c) => c.json({ devices: await list(c.var.auth.sub) }));

  return app;
}
