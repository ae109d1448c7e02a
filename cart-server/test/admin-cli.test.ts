/**
 * `cartwheel-admin` against in-process nodes: tables and --json, exit codes (0 done, 1 refused or
 * unreachable, 2 usage), the auth path, and a node started with `--join <url>` (stage and commit
 * in one step) taking the cluster's settings and half of the ring.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdmin } from '../src/admin/admin-cli.js';
import type { ClusterTransfers } from '../src/admin/admin-format.js';
import type { MemberStatusView, RingStatusView } from '../src/cluster/admin-client.js';
import { loadConfig } from '../src/config/config.js';
import { type CartServerNode, startCartServer } from '../src/node.js';
import { freePort } from './support/redis.js';
import { TEST_SECRET, token, waitFor } from './support/server-process.js';

const dirs: string[] = [];
const running: CartServerNode[] = [];

async function startNode(nodeId: string, args: string[] = []): Promise<CartServerNode> {
  const dir = mkdtempSync(join(tmpdir(), 'cartwheel-admin-'));
  dirs.push(dir);
  const config = loadConfig({
    argv: [
      ...['--node-id', nodeId, '--port', '0', '--data-dir', dir, '--log-level', 'silent'],
      ...['--platform', 'off', '--heartbeat-interval-ms', '100', '--failure-timeout-ms', '1000'],
      ...['--handoff-interval-ms', '100', '--aae-interval-ms', '300', '--fsync', 'never'],
      ...args,
    ],
    env: { JWT_SECRET: TEST_SECRET },
  });
  const node = await startCartServer(config);
  running.push(node);
  return node;
}

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(...argv: string[]): Promise<Run> {
  const run: Run = { code: -1, out: '', err: '' };
  run.code = await runAdmin(argv, {
    env: { JWT_SECRET: TEST_SECRET },
    stdout: (t) => {
      run.out += t;
    },
    stderr: (t) => {
      run.err += t;
    },
  });
  return run;
}

let n1: CartServerNode;
let n2: CartServerNode;

beforeAll(async () => {
  n1 = await startNode('n1');
  n2 = await startNode('n2', ['--join', n1.url]);
}, 60_000);

afterAll(async () => {
  for (const n of running.reverse()) await n.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('cartwheel-admin', () => {
  it('a node started with --join is a member at once and takes half of the ring by handoff', async () => {
    const ring = await waitFor(async () => {
      const r = await cli('--url', n2.url, '--json', 'ring-status');
      const v = JSON.parse(r.out) as RingStatusView;
      return v.pendingTransfers.length === 0 && v.owners.includes('n2') ? v : undefined;
    }, 'the join to be handed off');
    expect(ring.owners.filter((o) => o === 'n2').length).toBe(32);
    expect(n2.replica.config.n).toBe(n1.replica.config.n); // the cluster's settings, not its own
    const members = await cli('--url', n1.url, 'member-status');
    expect(members.code).toBe(0);
    expect(members.out).toMatch(/^NODE\s+STATUS\s+UP\s+RING/m);
    expect(members.out).toMatch(/^n2\s+valid\s+up\s+50\.0%/m);
    expect(members.out).toContain(n2.url);
    const transfers = await waitFor(async () => {
      const r = await cli('--url', n1.url, '--json', 'transfers');
      const v = JSON.parse(r.out) as ClusterTransfers;
      return v.total === 0 ? v : undefined;
    }, 'transfers to reach zero');
    expect(transfers.nodes.map((n) => n.node)).toEqual(['n1', 'n2']);
    expect(transfers.nodes.find((n) => n.node === 'n1')!.itemsSent).toBeGreaterThanOrEqual(0);
    expect((await cli('--url', n1.url, 'transfers')).out).toContain('No transfers active and none waiting.');
    const aae = await cli('--url', n1.url, 'aae-status');
    expect(aae.code).toBe(0);
    expect(aae.out).toMatch(/^PARTITION\s+LAST EXCHANGE\s+PEER/m);
    // Asking again is harmless.
    const again = await cli('--url', n1.url, '--json', 'cluster', 'join', n2.url);
    expect(JSON.parse(again.out)).toMatchObject({ node: 'n2', alreadyMember: true });
  });

  it('stages, plans and clears a leave; refuses what it cannot do with a code and exit 1', async () => {
    const staged = await cli('--url', n1.url, 'cluster', 'leave', 'n2');
    expect(staged).toMatchObject({ code: 0 });
    expect(staged.out).toContain('Staged on n1: leave n2');
    const plan = await cli('--url', n1.url, 'cluster', 'plan');
    expect(plan.out).toMatch(/Partitions handed off: 32/);
    expect(plan.out).toMatch(/^n1\s+64\s+100\.0%/m);
    const cleared = await cli('--url', n1.url, '--json', 'cluster', 'clear');
    expect((JSON.parse(cleared.out) as MemberStatusView).staged).toEqual([]);

    const nothing = await cli('--url', n1.url, 'cluster', 'commit');
    expect(nothing.code).toBe(1);
    expect(nothing.err).toContain('NOTHING_STAGED');
    expect((await cli('--url', n1.url, 'cluster', 'leave', 'n9')).err).toContain('MEMBER_NOT_FOUND');
    await cli('--url', n1.url, 'cluster', 'leave', 'n1');
    const last = await cli('--url', n1.url, 'cluster', 'leave', 'n2'); // nobody valid would be left
    expect(last.code).toBe(1);
    expect(last.err).toContain('MEMBERSHIP_INVALID');
    await cli('--url', n1.url, 'cluster', 'clear');

    // A node that does not run the cluster's settings is refused before anything is staged.
    const other = await startNode('n3', ['--ring-size', '32']);
    const refused = await cli('--url', n1.url, 'cluster', 'join', other.url);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/MEMBERSHIP_CONFLICT: .*ring size 32/);
    expect((await cli('--url', n1.url, 'cluster', 'plan')).out).toBe('Nothing staged on n1.\n');
  });

  it('exits 2 on usage errors and 1 when the node refuses the token or cannot be reached', async () => {
    for (const argv of [
      [],
      ['frobnicate'],
      ['cluster'],
      ['cluster', 'join', 'not a url'],
      ['--url', 'ftp://x', 'ring-status'],
      ['--bogus'],
    ]) {
      const r = await cli(...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.err).toContain('cartwheel-admin');
    }
    expect((await cli('--help')).out).toContain('cluster force-remove <node>');
    const forged = await cli('--url', n1.url, '--token', 'not-a-token', 'member-status');
    expect(forged.code).toBe(1);
    expect(forged.err).toContain('UNAUTHORIZED');
    const user = await cli('--url', n1.url, '--token', await token('alice'), 'member-status');
    expect(user.code).toBe(1);
    expect(user.err).toContain('ROLE_REQUIRED');
    const closed = await cli(
      '--url',
      `http://127.0.0.1:${await freePort()}`,
      '--timeout-ms',
      '2000',
      'ring-status',
    );
    expect(closed.code).toBe(1);
    expect(closed.err).toContain('PEER_UNREACHABLE');
  });
});
