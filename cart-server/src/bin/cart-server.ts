#!/usr/bin/env node
/**
 * `cart-server [options]` — runs one node (see `--help`). `cart-server dev-token ...` prints a
 * development token. SIGTERM/SIGINT drain and close cleanly; a second signal exits at once.
 */
import { ConfigError, loadConfig, usage } from '../config/config.js';
import { startCartServer } from '../node.js';
import { platformMounts } from '../platform.js';
import { devToken } from './dev-token.js';

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'dev-token') {
    process.stdout.write(`${await devToken(argv.slice(1))}\n`);
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
  const node = await startCartServer(config, platformMounts());
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      node.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    node.log.info({ signal }, 'signal received');
    node.close().then(
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
