/** Human-readable output of `cartwheel-admin`: plain aligned tables, no colours. */
import type { MembershipChange, Transfer } from '@cartwheel/crdt';
import type {
  AaeStatusView,
  JoinResult,
  MemberStatusView,
  PlanView,
  RingStatusView,
  TransfersView,
} from '../cluster/admin-client.js';

/** Columns padded to their widest cell; numbers are right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  return cells
    .map((r) =>
      r
        .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const change = (c: MembershipChange): string => `${c.type} ${c.node}`;
const transfer = (t: Transfer): string => `p${t.partition}  ${t.from} -> ${t.to}`;

function transferList(title: string, list: readonly Transfer[], max = 20): string[] {
  const lines = [`${title}: ${list.length}`];
  for (const t of list.slice(0, max)) lines.push(`  ${transfer(t)}`);
  if (list.length > max) lines.push(`  ... and ${list.length - max} more (--json lists all)`);
  return lines;
}

export function formatMembers(v: MemberStatusView): string {
  const lines = [`Ring version ${v.ringVersion} (as seen by ${v.node})`, ''];
  lines.push(
    table(
      ['NODE', 'STATUS', 'UP', 'RING', 'PENDING IN', 'PENDING OUT', 'URL'],
      v.members.map((m) => [
        m.node,
        m.status,
        m.up ? 'up' : 'down',
        `${m.percent.toFixed(1)}%`,
        m.pendingIn,
        m.pendingOut,
        m.url ?? '(unknown)',
      ]),
    ),
  );
  if (v.staged.length > 0) lines.push('', `Staged on ${v.node}: ${v.staged.map(change).join(', ')}`);
  return lines.join('\n');
}

export function formatRing(v: RingStatusView): string {
  const owned = new Map<string, { owned: number; incoming: number; outgoing: number }>();
  const row = (n: string) => {
    let r = owned.get(n);
    if (r === undefined) {
      r = { owned: 0, incoming: 0, outgoing: 0 };
      owned.set(n, r);
    }
    return r;
  };
  for (const o of v.owners) row(o).owned++;
  for (const t of v.pendingTransfers) {
    row(t.to).incoming++;
    row(t.from).outgoing++;
  }
  const lines = [
    `Ring version ${v.ringVersion}: ${v.ringSize} partitions, N=${v.n} (as seen by ${v.node})`,
    '',
    table(
      ['NODE', 'OWNED', 'SHARE', 'INCOMING', 'OUTGOING'],
      [...owned]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([n, r]) => [
          n,
          r.owned,
          `${((r.owned / v.ringSize) * 100).toFixed(1)}%`,
          r.incoming,
          r.outgoing,
        ]),
    ),
    '',
    ...transferList('Pending ownership transfers', v.pendingTransfers),
    `Preference lists not on N distinct nodes: ${v.violations}`,
  ];
  return lines.join('\n');
}

/** One row per node asked; `unreachable` nodes get a row too. */
export interface ClusterTransfers {
  readonly node: string;
  readonly pendingTransfers: number;
  readonly nodes: readonly TransfersView[];
  readonly unreachable: readonly { node: string; status: string; error: string }[];
  /** Pending ring transfers + running handoffs + hint backlogs: 0 when nothing is left to move. */
  readonly total: number;
}

export function formatTransfers(v: ClusterTransfers): string {
  const lines = [
    v.total === 0 && v.unreachable.every((u) => u.status === 'removed')
      ? 'No transfers active and none waiting.'
      : `Left to move: ${v.total} (ring transfers ${v.pendingTransfers}, as seen by ${v.node})`,
    '',
    table(
      ['NODE', 'OUTBOUND', 'RUNNING', 'SENT/KEYS', 'HINT BACKLOG', 'ITEMS SENT', 'REMAINING'],
      [
        ...v.nodes.map((n) => [
          n.node,
          n.outbound.length,
          n.active.length,
          n.active.length === 0 ? '-' : n.active.map((a) => `${a.sent}/${a.keys}`).join(' '),
          n.hintBacklog,
          n.itemsSent,
          n.remaining,
        ]),
        ...v.unreachable.map((u) => [u.node, '?', '?', '?', '?', '?', `unreachable (${u.status})`]),
      ],
    ),
  ];
  const running = v.nodes.flatMap((n) => n.active.map((a) => ({ ...a, from: n.node })));
  if (running.length > 0) {
    lines.push('', 'Running handoffs:');
    for (const a of running)
      lines.push(
        `  ${a.kind.padEnd(9)} p${a.partition}  ${a.from} -> ${a.to}  ${a.sent}/${a.keys} keys sent`,
      );
  }
  return lines.join('\n');
}

export function formatAae(v: AaeStatusView, now = Date.now()): string {
  const ago = (iso: string | null): string => {
    if (iso === null) return 'never';
    const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
    return `${iso} (${s} s ago)`;
  };
  return [
    `Anti-entropy on ${v.node}: ${v.exchanges} exchanges started, ${v.keysRepaired} keys repaired, catch-up backlog ${v.catchUpBacklog}`,
    '',
    table(
      ['PARTITION', 'LAST EXCHANGE', 'PEER', 'EXCHANGES', 'KEYS REPAIRED'],
      v.vnodes.map((p) => [
        p.partition,
        ago(p.lastExchangeAt),
        p.lastPeer ?? '-',
        p.exchanges,
        p.keysRepaired,
      ]),
    ),
  ].join('\n');
}

/** `url`: the node the plan was staged on (where it must be committed). */
export function formatPlan(v: PlanView, committed: boolean, url: string): string {
  if (v.changes.length === 0) return `Nothing staged on ${v.node}.`;
  const share = Object.entries(v.ownership)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([n, c]) => [n, c, `${((c / v.owners.length) * 100).toFixed(1)}%`]);
  return [
    `${committed ? 'Committed' : 'Staged'} on ${v.node}: ${v.changes.map(change).join(', ')}`,
    '',
    ...transferList('Partitions handed off', v.transfers),
    ...transferList('Partitions reassigned at once (force-remove)', v.reassigned),
    '',
    'Ownership once the plan has run:',
    table(['NODE', 'PARTITIONS', 'SHARE'], share),
    ...(committed
      ? ['', 'Follow the handoffs with `cartwheel-admin transfers`.']
      : ['', `Commit it on ${v.node}: cartwheel-admin --url ${url} cluster commit`]),
  ].join('\n');
}

export function formatJoin(v: JoinResult, url: string): string {
  if (v.alreadyMember) return `${v.node} (${v.url}) already is a member.`;
  if (v.plan !== null) return `${v.node} (${v.url}) joined.\n\n${formatPlan(v.plan, true, url)}`;
  return `Join of ${v.node} (${v.url}) staged on ${url}.\n${next(url)}`;
}

const next = (url: string): string =>
  `Review it with: cartwheel-admin --url ${url} cluster plan\nthen commit it: cartwheel-admin --url ${url} cluster commit`;

export function formatStaged(v: MemberStatusView, url: string): string {
  return v.staged.length === 0
    ? `Nothing staged on ${v.node}.`
    : `Staged on ${v.node}: ${v.staged.map(change).join(', ')}.\n${next(url)}`;
}
