/**
 * Startup failures an operator causes and can fix, as one line naming the fix instead of a stack:
 * the port is taken, the data directory is held by another process. Anything else is unexpected
 * and keeps its stack.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerConfig } from '../config/config.js';

/** The one-line message for a known startup failure; undefined for anything else. */
export function startupErrorMessage(
  err: unknown,
  config: Pick<ServerConfig, 'host' | 'port' | 'dataDir' | 'nodeId'>,
): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return `port ${config.port} on ${config.host} is already in use by another process; stop it or pick another port with --port (PORT)`;
  }
  if (code === 'EACCES' && (err as { syscall?: unknown }).syscall === 'listen') {
    return `not allowed to listen on port ${config.port} on ${config.host} (ports below 1024 need privileges); pick another with --port (PORT)`;
  }
  if (code === 'EADDRNOTAVAIL') {
    return `cannot listen on ${config.host}: no such local address; fix --host (HOST)`;
  }
  if (code === 'STORAGE_LOCKED') {
    return `the data directory ${join(config.dataDir, config.nodeId)} is locked: another process holds it (another cart-server with --data-dir ${config.dataDir} --node-id ${config.nodeId}?); stop it or use another --data-dir (DATA_DIR)`;
  }
  return undefined;
}

/** The version of the cart-server package (`cart-server --version`), from src/ or dist/ alike. */
export function serverVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? 'unknown';
}
