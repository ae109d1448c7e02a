// `npm test` runs this first (root "pretest"), the way `npm start` builds what is missing: the
// suite needs Debian's Chromium (browser tests), redis-server (order log, popularity, product
// cache) and a PostgreSQL server (the shared catalog). Tests never skip on a missing service, so
// on a machine without them the run would fail minutes in; this stops before the run instead.
// As root it installs what is missing with apt-get (as .ci/run does) and starts PostgreSQL;
// otherwise it prints one message naming the command and exits 1.
//
// Overrides (for other layouts, and for the test of this script): CHROMIUM_PATH (default
// /usr/bin/chromium), TEST_PG_URL (the tests' PostgreSQL; when set it must answer, nothing is
// installed for it), CARTWHEEL_NO_INSTALL=1 (never install, even as root).
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';

const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const pgUrl = process.env.TEST_PG_URL;
const mayInstall = process.getuid?.() === 0 && process.env.CARTWHEEL_NO_INSTALL !== '1';

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command) {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .some((dir) => dir !== '' && executable(join(dir, command)));
}

function postgresInstalled() {
  if (!onPath('psql') || !existsSync('/usr/lib/postgresql')) return false;
  return readdirSync('/usr/lib/postgresql').some((v) => executable(`/usr/lib/postgresql/${v}/bin/postgres`));
}

/** Whether something accepts TCP connections at the URL's host and port (1 s). */
function answers(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 5432) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function missing() {
  const packages = [];
  if (!executable(chromium)) packages.push('chromium');
  if (!onPath('redis-server')) packages.push('redis-server');
  // With TEST_PG_URL the server is elsewhere: it must answer. Without, a local installation will
  // do: the tests start its cluster (test/support/postgres.ts) when it is not running.
  if (pgUrl === undefined && !postgresInstalled() && !(await answers('postgres://127.0.0.1:5432'))) {
    packages.push('postgresql');
  }
  return packages;
}

/** As .ci/run: the tests connect as postgres@127.0.0.1 without a password; start the cluster. */
function preparePostgres() {
  if (!existsSync('/etc/postgresql')) return;
  for (const version of readdirSync('/etc/postgresql')) {
    const conf = `/etc/postgresql/${version}/main/pg_hba.conf`;
    if (!existsSync(conf)) continue;
    const text = readFileSync(conf, 'utf8');
    if (!/^host\s+all\s+(all|postgres)\s+127\.0\.0\.1\/32\s+trust/m.test(text)) {
      console.log(`pretest: trusting postgres@127.0.0.1 in ${conf}`);
      writeFileSync(conf, `host all postgres 127.0.0.1/32 trust\n${text}`);
    }
    try {
      execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], {
        stdio: 'ignore',
      });
    } catch {
      // already running: reload so the trust line applies
      try {
        execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'reload'], {
          stdio: 'ignore',
        });
      } catch {
        // the tests say what is wrong if it still does not answer
      }
    }
  }
}

const need = await missing();
if (pgUrl !== undefined && !(await answers(pgUrl))) {
  console.error(
    `npm test: PostgreSQL does not answer at TEST_PG_URL (${new URL(pgUrl).host}); start it or unset TEST_PG_URL to use a local one.`,
  );
  process.exit(1);
}
if (need.length === 0) process.exit(0);

const command = `apt-get install -y ${need.join(' ')}`;
if (!mayInstall) {
  console.error(
    `npm test: missing ${need.join(', ')} (the browser, order-log and catalog tests need them and never skip). ` +
      `Install with: sudo apt-get update && sudo ${command} — or run npm test as root to have it installed.`,
  );
  process.exit(1);
}
console.log(`pretest: installing ${need.join(' ')} with apt-get`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
try {
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...need], { stdio: 'inherit', env });
} catch {
  console.error(
    `npm test: '${command}' failed (see above); install ${need.join(', ')} and run npm test again.`,
  );
  process.exit(1);
}
if (need.includes('postgresql')) preparePostgres();
const still = await missing();
if (still.length > 0) {
  console.error(
    `npm test: still missing ${still.join(', ')} after apt-get; install them and run npm test again.`,
  );
  process.exit(1);
}
