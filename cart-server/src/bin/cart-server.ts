#!/usr/bin/env node
/**
 * `cart-server [options]` — runs one node (see `--help`; `--version`). `cart-server dev-token ...`
 * prints a development token. SIGTERM (what orchestrators send): /readyz turns 503 for
 * --shutdown-grace-ms while the node still serves, then it drains and closes cleanly. SIGINT
 * (Ctrl-C) skips the grace period. A second signal exits at once.
 */
import { ConfigError, loadConfig, usage } from '../config/config.js';
import { startCartServer } from '../node.js';
import { platformMounts } from '../platform.js';
import { devToken } from './dev-token.js';
import { serverVersion, startupErrorMessage } from './startup-errors.js';

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'dev-token') {
    process.stdout.write(`${await devToken(argv.slice(1))}\n`);
    return;
  }
  if (argv.includes('--version') || argv.includes('-v')) {
    process.stdout.write(`cart-server ${serverVersion()}\n`);
    return;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ argv });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`cart-server: ${err.message}\nRun cart-server --help for the options.\n`);
      process.exit(2);
    }
    throw err;
  }
  let node: Awaited<ReturnType<typeof startCartServer>>;
  try {
    node = await startCartServer(config, platformMounts());
  } catch (err) {
    const message = startupErrorMessage(err, config);
    if (message === undefined) throw err;
    process.stderr.write(`cart-server: ${message}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      node.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    const graceMs = signal === 'SIGTERM' ? config.shutdownGraceMs : 0;
    node.log.info({ signal, graceMs }, 'signal received');
    node.drain();
    // Load balancers probe /readyz every few seconds: keep serving until they have seen the 503.
    const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs));
    grace
      .then(() => node.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          node.log.error({ err }, 'unclean shutdown');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`cart-server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
