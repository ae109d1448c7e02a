/**
 * `npm test` on a machine without the services the suite needs stops before the run with one
 * message naming the command (root "pretest": scripts/ensure-test-deps.mjs), instead of failing
 * minutes in. The missing machine is simulated: no PATH, a Chromium path that does not exist,
 * and no installing (the install branch is what .ci/run exercises on a fresh box).
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from './support/redis.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SCRIPT = join(ROOT, 'scripts/ensure-test-deps.mjs');

function runScript(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [SCRIPT], { cwd: ROOT, env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      res({ code, stdout, stderr });
    });
  });
}

describe('pretest: ensure-test-deps', () => {
  it('without chromium and redis-server (and no installing) stops with one message naming the command', async () => {
    const { code, stdout, stderr } = await runScript({
      PATH: '/nonexistent',
      CHROMIUM_PATH: '/nonexistent/chromium',
      CARTWHEEL_NO_INSTALL: '1',
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^npm test: missing chromium, redis-server/);
    expect(lines[0]).toMatch(/sudo apt-get install -y chromium redis-server/);
  });

  it('stops when TEST_PG_URL names a server that does not answer', async () => {
    const port = await freePort();
    const { code, stderr } = await runScript({
      PATH: process.env.PATH ?? '',
      TEST_PG_URL: `postgres://postgres@127.0.0.1:${port}/postgres`,
      CARTWHEEL_NO_INSTALL: '1',
    });
    expect(code).toBe(1);
    expect(stderr).toContain(`PostgreSQL does not answer at TEST_PG_URL (127.0.0.1:${port})`);
  });

  it('says nothing and lets the run start when everything is there', async () => {
    const { code, stdout, stderr } = await runScript({
      PATH: process.env.PATH ?? '',
      CARTWHEEL_NO_INSTALL: '1',
      ...(process.env.TEST_PG_URL === undefined ? {} : { TEST_PG_URL: process.env.TEST_PG_URL }),
    });
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});
