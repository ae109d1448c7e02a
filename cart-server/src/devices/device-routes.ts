/**
 * Device registration: `POST /v1/devices` gives a device its actor id and a token carrying it as
 * `act`. The proof that a device owns an actor is the signed token itself, so every node of a
 * cluster can check it; the server accepts only dots of the token's actor from that device.
 *
 * Two ways in:
 * - `{}` (or `{"name"}`): the server mints a fresh actor (UUID v4) — 201.
 * - `{"actor"}`: the device claims an actor it chose itself (a random UUID, minted offline before
 *   it ever reached a server, so its first session can be offline) or asks for a fresh token for
 *   an actor it holds (an expired token). First claim wins: an actor nobody claimed becomes this
 *   user's (201); an actor this user holds gets a new token (200); an actor another user claimed
 *   is refused with 409 ACTOR_CONFLICT, and the device re-mints its unsynced work under a fresh
 *   actor (sync-client README, "First start and offline").
 *
 * The actor → user binding is kept durably in this node's LevelDB (namespace
 * `cartwheel-device-actors`, written in the same batch as the device record); claims on one node
 * are serialised, so two concurrent claims of one actor cannot both win there. Across a cluster
 * the binding is per node: two users could each win one actor on different nodes. That needs a
 * guessed UUID and harms nobody else — carts are keyed by user, so a dot of that actor only ever
 * lands in the claimer's own carts.
 */
import { randomUUID } from 'node:crypto';
import type { Storage } from '@cartwheel/crdt';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AuthVariables } from '../auth/middleware.js';
import { signToken } from '../auth/tokens.js';
import { readJson } from '../carts/validation.js';
import { RouteTable } from '../http/contract.js';
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
}): RouteTable<{ Variables: AuthVariables }> {
  const routes = new RouteTable(new Hono<{ Variables: AuthVariables }>());
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

  // Claims are check-then-write: serialise them so one node never grants one actor twice.
  let claims: Promise<unknown> = Promise.resolve();
  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = claims.then(fn, fn);
    claims = run.catch(() => {});
    return run;
  };

  const record = async (userId: string, actor: string, name: string | undefined): Promise<void> => {
    const device: DeviceRecord = {
      actor,
      ...(name === undefined ? {} : { name }),
      createdAt: new Date().toISOString(),
    };
    await options.storage.batch([
      {
        type: 'put',
        ns: NS,
        partition: 0,
        key: `${userId}/${actor}`,
        value: enc.encode(JSON.stringify(device)),
      },
      { type: 'put', ns: ACTORS_NS, partition: 0, key: actor, value: enc.encode(userId) },
    ]);
  };

  const checkDeviceCount = async (userId: string): Promise<void> => {
    if ((await list(userId)).length >= MAX_DEVICES_PER_USER) {
      throw new ApiError('RATE_LIMITED', `at most ${MAX_DEVICES_PER_USER} devices per user`);
    }
  };

  const device = z.object({
    actor: z.string().describe('The device actor (UUID)'),
    token: z.string().describe('Bearer token carrying act'),
  });
  routes.on(
    {
      method: 'post',
      path: '/devices',
      summary: 'Register a device: a fresh actor, or claim one the device chose itself',
      description:
        'Without `actor` the server mints one (201). With `actor` (a random UUID the device minted, possibly offline): first claim wins (201), the same user gets a fresh token (200), another user’s actor is refused (409 ACTOR_CONFLICT).',
      tags: ['devices'],
      access: 'user',
      body: registerSchema,
      bodyRequired: false,
      responses: {
        200: { description: 'A fresh token for an actor this user holds', schema: device },
        201: { description: 'The device registered', schema: device },
      },
      errors: ['VALIDATION_FAILED', 'INVALID_JSON', 'PAYLOAD_TOO_LARGE', 'ACTOR_CONFLICT', 'RATE_LIMITED'],
    },
    async (c) => {
      const body = await readJson(c, registerSchema, { allowEmpty: true });
      const userId = c.var.auth.sub;
      if (body.actor !== undefined) {
        const actor = body.actor;
        const status = await serially(async (): Promise<200 | 201> => {
          const owner = await options.storage.get(ACTORS_NS, 0, actor);
          if (owner !== undefined && dec.decode(owner) !== userId) {
            throw new ApiError(
              'ACTOR_CONFLICT',
              'this actor id is already claimed by another user; choose a fresh one (a random UUID)',
            );
          }
          if (owner !== undefined) return 200;
          // Devices registered before the binding existed: their record is keyed by user.
          if ((await options.storage.get(NS, 0, `${userId}/${actor}`)) !== undefined) {
            await options.storage.put(ACTORS_NS, 0, actor, enc.encode(userId));
            return 200;
          }
          // First claim of an actor the device chose itself.
          await checkDeviceCount(userId);
          await record(userId, actor, body.name);
          return 201;
        });
        return c.json({ actor, token: await issue(userId, actor, c.var.auth.role) }, status);
      }
      await checkDeviceCount(userId);
      const actor = randomUUID();
      await record(userId, actor, body.name);
      return c.json({ actor, token: await issue(userId, actor, c.var.auth.role) }, 201);
    },
  );

  routes.on(
    {
      method: 'get',
      path: '/devices',
      summary: "The caller's registered devices",
      tags: ['devices'],
      access: 'user',
      responses: {
        200: {
          description: 'Devices',
          schema: z.object({
            devices: z.array(
              z.object({ actor: z.string(), name: z.string().optional(), createdAt: z.string() }),
            ),
          }),
        },
      },
    },
    async (c) => c.json({ devices: await list(c.var.auth.sub) }),
  );

  return routes;
}
