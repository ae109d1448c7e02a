/**
 * Stable error codes of @cartwheel/sync-client (documented in the package README). Programmer
 * misuse (bad arguments) throws `TypeError` instead.
 */
export type SyncClientErrorCode =
  | 'SYNC_CLIENT_CLOSED'
  | 'SYNC_STORE_CLOSED'
  | 'SYNC_STORE_CORRUPT'
  | 'SYNC_PROTOCOL_ERROR'
  | 'SYNC_REGISTRATION_FAILED'
  | 'SYNC_AUTH_FAILED'
  | 'SYNC_ACTOR_CONFLICT'
  | 'SYNC_UNKNOWN_PRODUCT'
  | 'SYNC_DELTA_REJECTED'
  | 'SYNC_NOT_LEADER';

export class SyncClientError extends Error {
  readonly code: SyncClientErrorCode;

  constructor(code: SyncClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SyncClientError';
    this.code = code;
  }
}
