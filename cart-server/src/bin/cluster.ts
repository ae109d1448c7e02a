/**
 * `npm run cluster`: three cart-server nodes on loopback (N=3, R=2, W=2), each with its own data
 * directory under ./data (n1, n2, n3), printing their URLs. Ctrl-C (or SIGTERM) stops them cleanly.
 * Options: --base-port 8081 (nodes on 8081..8083), --data-dir ./data, any other flag is passed on.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Our two options; every other argument goes to each node unchanged (e.g. --log-level warn).
const values: Record<string, string> = { 'base-port': '8081', 'data-dir': './data' };
const passthrough: string[] = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i]!;
  const [name, inline] = arg.split('=', 2) as [string, string | undefined];
  if (name === '--base-port' || name === '--data-dir') values[name.slice(2)] = inline ?? argv[++i] ?? '';
  else passthrough.push(arg);
}
const base = Number(values['base-port']);
if (!Number.isInteger(base) || base < 1 || base > 65_533) {
  process.stderr.write('cluster: --base-port must be a port number\n');
  process.exit(2);
}
const nodes = [1, 2, 3].map((i) => ({ id: `n${i}`, port: base + i - 1 }));
const entry = fileURLToPath(
  new URL(`./cart-server.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
);
const children: ChildProcess[] = [];

for (const n of nodes) {
  const peers = nodes
    .filter((p) => p !== n)
    .map((p) => `${p.id}=http://127.0.0.1:${p.port}`)
    .join(',');
  const args = [
    ...process.execArgv,
    entry,
    '--node-id',
    n.id,
    '--port',
    String(n.port),
    '--data-dir',
    String(values['data-dir']),
    '--peers',
    peers,
    '--n',
    '3',
    '--r',
    '2',
    '--w',
    '2',
    ...passthrough,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
  child.on('exit', (code, signal) => {
    process.stderr.write(`cluster: ${n.id} exited (${signal ?? code})\n`);
    if (!stopping) stop();
  });
  children.push(child);
}
process.stdout.write(
  `Cartwheel cluster (N=3, R=2, W=2):\n${nodes.map((n) => `  ${n.id}  http://127.0.0.1:${n.port}`).join('\n')}\nCtrl-C stops all nodes.\n`,
);

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  let left = children.filter((c) => c.exitCode === null).length;
  if (left === 0) process.exit(0);
  for (const c of children) {
    c.once('exit', () => {
      left--;
      if (left === 0) process.exit(0);
    });
  }
  setTimeout(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    process.exit(1);
  }, 15_000).unref();
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
