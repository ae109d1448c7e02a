#!/usr/bin/env node
/** `cartwheel-admin` — cluster membership and status (see `cartwheel-admin --help`). */
import { runAdmin } from '../admin/admin-cli.js';

runAdmin(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `cartwheel-admin: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
