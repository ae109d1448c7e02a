/**
 * Device registration (SPEC §3): `POST /v1/devices` with the user's bearer token returns the
 * device's actor id and a token that carries it (`act`). Each device mints dots only with its
 * own actor, which the server enforces with `newDots`. A device claims the actor it chose
 * itself (`{actor}`): first claim wins; an actor another user claimed first is refused with
 * `409 ACTOR_CONFLICT`, reported here as `SYNC_ACTOR_CONFLICT`.
 */
import { SyncClientError } from './errors.js';

export interface DeviceCredentials {
  readonly actor: string;
  readonly token: string;
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

const MAX_TOKEN_CHARS = 8192;

/**
 * Registers a device. `actor`, when given, claims that actor (chosen by the device) or asks for
 * a fresh token for an actor this device already holds.
 */
export async function registerDevice(
  fetchImpl: FetchLike,
  baseUrl: string,
  userToken: string,
  actor?: string,
): Promise<DeviceCredentials> {
  let response: Response;
  try {
    response = await fetchImpl(`${baseUrl}/v1/devices`, {
      method: 'POST',
      headers: { authorization: `Bearer ${userToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(actor === undefined ? {} : { actor }),
    });
  } catch (error) {
    throw new SyncClientError('SYNC_REGISTRATION_FAILED', 'device registration request failed', {
      cause: error,
    });
  }
  if (response.status === 409) {
    const body = (await response.json().catch(() => undefined)) as { error?: { code?: unknown } } | undefined;
    if (body?.error?.code === 'ACTOR_CONFLICT') {
      throw new SyncClientError('SYNC_ACTOR_CONFLICT', 'another user claimed this actor id first');
    }
  }
  if (response.status === 401 || response.status === 403) {
    throw new SyncClientError('SYNC_AUTH_FAILED', `device registration refused (${response.status})`);
  }
  if (!response.ok) {
    throw new SyncClientError('SYNC_REGISTRATION_FAILED', `device registration answered ${response.status}`);
  }
  const body: unknown = await response.json().catch(() => undefined);
  const b = (body ?? {}) as { actor?: unknown; token?: unknown };
  if (
    typeof b.actor !== 'string' ||
    b.actor.length === 0 ||
    b.actor.length > 200 ||
    typeof b.token !== 'string' ||
    b.token.length === 0 ||
    b.token.length > MAX_TOKEN_CHARS
  ) {
    throw new SyncClientError('SYNC_REGISTRATION_FAILED', 'device registration answer lacks actor/token');
  }
  return { actor: b.actor, token: b.token };
}
