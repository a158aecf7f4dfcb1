/**
 * scim-audit: `npx scim-audit <command>` from the repository (scripts/scim-audit.js), `make audit
 * ARGS="..."`, or `node dist/services/audit/main.js <command>`. See `scim-audit --help`.
 */
import { runCli } from './cli';

const interrupted = new AbortController();
process.once('SIGINT', () => interrupted.abort());
process.once('SIGTERM', () => interrupted.abort());

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: interrupted.signal }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`scim-audit: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
