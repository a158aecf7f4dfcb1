import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Argument, Command, CommanderError, Option } from 'commander';
import type { DestinationStream } from 'pino';
import { projections } from '../../projections/registry';
import { rebuildProjection } from '../../projections/runtime/rebuild';
import { inlineReads } from '../../projections/runtime/runner';
import { groupAsOf, teamAsOf, userAsOf } from '../../shared/audit/as-of';
import { historyOf } from '../../shared/audit/history';
import { formatInstant, parseInstant, type Instant } from '../../shared/audit/instant';
import { resolveSubject, type SubjectKind } from '../../shared/audit/subjects';
import { ConfigError } from '../../shared/config';
import { migrate } from '../../shared/db/migrate';
import { createPool, type Pool } from '../../shared/db/pool';
import { createEventStore } from '../../shared/eventstore/create-event-store';
import type { EventStore } from '../../shared/eventstore/port';
import { formatPosition, parsePosition, type Position } from '../../shared/eventstore/position';
import { createKafka } from '../../shared/kafka/client';
import { createLogger, type Logger } from '../../shared/logging/logger';
import { ScimError } from '../../shared/scim/errors';
import { projectAttributes, attributeNames } from '../scim-api/scim/attribute-projection';
import { renderGroup, renderUser } from '../scim-api/scim/render';
import { loadAuditConfig, scimBaseUrlOf, type AuditConfig } from './config';
import { exportLog, type ExportFormat } from './export';
import { NO_PROGRESS, progressBar } from './progress';
import { republish } from './republish';
import { chainText, count, historyText, teamText, verifyText } from './text';
import { VERIFY_TARGETS, verifyReadModels, type VerifyTarget } from './verify';
import { verifyExport } from './verify-export';

/** Exit statuses: 0 all well; 1 the answer is "no" (drift, a tampered file, nothing by that name); 2 a usage or configuration error. */
export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

/** Where the tool reads and writes: the process's own streams, or a test's. */
export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C: long commands stop between pages and clean up. */
  readonly signal?: AbortSignal;
}

interface Common {
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly verbose?: boolean;
}

interface Session {
  readonly config: AuditConfig;
  readonly pool: Pool;
  readonly store: EventStore;
  readonly log: Logger;
}

const STREAM_KINDS: readonly SubjectKind[] = ['user', 'group', 'team', 'settings', 'token'];

class UsageError extends Error {}

/** A finding the command reports itself (printed already): exits 1 without an error line. */
class Findings extends Error {}

/**
 * The scim-audit program: commands over the event store (read through its port, so either adapter)
 * for auditors and operators. `runCli` runs one command line and resolves its exit status.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const out = (text: string) => write(io.stdout, text);
  const err = (text: string) => write(io.stderr, text);
  const program = new Command('scim-audit')
    .description('Audit and replay the SCIM service\'s event log: who changed what and when, state at an instant, tamper-evident exports, read-model verification, rebuilds and republishing.\nReads DATABASE_URL, EVENT_STORE and EVENTSTOREDB_URL like the service (README, Configuration).')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) })
    .showHelpAfterError('(scim-audit <command> --help shows how to use it)')
    .option('--verbose', 'log what happens (pino, info) on stderr')
    .addHelpText(
      'after',
      '\nTimes are RFC 3339 with an offset (2026-03-01T09:30:00Z) or dates (2026-03-01: 00:00 UTC); positions are <commit>/<prepare> as history and export print them.\nExit status: 0 all well, 1 the answer is no (drift, a tampered export, no such resource), 2 a usage or configuration error.',
    );

  const session = async <T>(options: Common, work: (s: Session) => Promise<T>): Promise<T> => {
    const config = loadAuditConfig(io.env);
    const log = createLogger({ level: options.verbose || program.opts().verbose ? 'info' : 'warn', name: 'scim-audit' }, io.stderr as unknown as DestinationStream);
    const pool = createPool(config.DATABASE_URL, 4);
    const store = createEventStore(config, pool, log);
    try {
      return await work({ config, pool, store, log });
    } finally {
      await store.close().catch(() => undefined);
      await pool.end().catch(() => undefined);
    }
  };
  const showProgress = (options: Common) => io.stderr === process.stderr && !options.json && !options.quiet;
  const print = async (options: Common, value: unknown, text: () => string) => out(options.json ? `${JSON.stringify(value, jsonReplacer, 2)}\n` : text());

  program
    .command('history')
    .description('every event of one aggregate: time, type, what changed, who (a SCIM token by its description), request and source')
    .addArgument(new Argument('<kind>', 'what to show').choices(STREAM_KINDS))
    .argument('[ref]', 'user: id, userName or externalId; group: id or displayName (names now or in the past, case-insensitive); team: id or name; token: id or description; settings: none')
    .option('--json', 'print JSON')
    .action(async (kind: SubjectKind, ref: string | undefined, options: Common) => {
      if (kind !== 'settings' && !ref) throw new UsageError(`history ${kind} needs a reference: scim-audit history ${kind} <ref>`);
      await session(options, async ({ store }) => {
        const subject = await resolveSubject(store, kind, ref ?? '', io.signal);
        const history = await historyOf(store, subject);
        await print(options, history, () => historyText(history));
      });
    });

  program
    .command('as-of')
    .description('a user or group exactly as GET /scim/v2/... answered at an instant, or a team\'s effective members then')
    .argument('<instant>', 'a time (the events that occurred at or before it) or a position (the events up to and including it)')
    .addArgument(new Argument('<kind>', 'what to show').choices(['user', 'group', 'team']))
    .argument('<ref>', 'user: id, userName or externalId; group: id or displayName; team: id or name')
    .option('--attributes <names>', 'as the SCIM query parameter: only these attributes (users and groups)')
    .option('--excluded-attributes <names>', 'as the SCIM query parameter: all but these attributes (users and groups)')
    .option('--base-url <url>', 'the /scim/v2 URL meta.location and $ref are built on (default: SCIM_BASE_URL, else http://HOST:PORT/scim/v2)')
    .option('--json', 'print JSON (users and groups are always SCIM JSON)')
    .action(async (text: string, kind: 'user' | 'group' | 'team', ref: string, options: Common & { attributes?: string; excludedAttributes?: string; baseUrl?: string }) => {
      const instant = parseInstant(text, 'the instant');
      await session(options, async ({ store, config }) => {
        const subject = await resolveSubject(store, kind, ref, io.signal);
        if (kind === 'team') {
          const team = await teamAsOf(store, subject, instant);
          await print(options, team, () => teamText(team, formatInstant(instant)));
          return;
        }
        const baseUrl = (options.baseUrl ?? scimBaseUrlOf(config)).replace(/\/+$/, '');
        const attributes = attributeNames(options.attributes, 'attributes');
        const excludedAttributes = attributeNames(options.excludedAttributes, 'excludedAttributes');
        const projection = { ...(attributes ? { attributes } : {}), ...(excludedAttributes ? { excludedAttributes } : {}) };
        const resource =
          kind === 'user'
            ? projectAttributes(renderUser(await userAsOf(store, subject, instant), baseUrl), projection, 'User')
            : projectAttributes(renderGroup(await groupAsOf(store, subject, instant), baseUrl), projection, 'Group');
        await out(`${JSON.stringify(resource, null, 2)}\n`);
      });
    });

  program
    .command('export')
    .description('the event log for audit systems, streamed in constant memory; --chain makes it tamper-evident (check it with verify-export)')
    .option('--from <time|position>', 'a time: from the first event at or after it; a position: the events after it (as a checkpoint)')
    .option('--to <time|position>', 'a time: up to the first event after it; a position: up to and including it')
    .addOption(new Option('--format <format>', 'one JSON object per line, or CSV with a header').choices(['ndjson', 'csv']).default('ndjson'))
    .option('--chain', 'every line carries SHA-256(previous hash ‖ its content); the last line is the digest')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--quiet', 'no progress bar and no summary on stderr')
    .option('--json', 'the summary on stderr as JSON')
    .action(async (options: Common & { from?: string; to?: string; format: ExportFormat; chain?: boolean; out?: string }) => {
      const from = options.from === undefined ? undefined : parseInstant(options.from, '--from');
      const to = options.to === undefined ? undefined : parseInstant(options.to, '--to');
      await session(options, async ({ store }) => {
        const target = options.out ? createWriteStream(options.out) : io.stdout;
        const head = to?.kind === 'position' ? to.position : await store.headPosition();
        const bar = showProgress(options) ? progressBar('export', store.kind, from?.kind === 'position' ? from.position : null, head, true) : NO_PROGRESS;
        const started = Date.now();
        let result;
        try {
          result = await exportLog(store, { from, to, format: options.format, chain: options.chain === true, out: target, ...(io.signal ? { signal: io.signal } : {}), onProgress: (n, p) => bar.update(n, p) });
        } finally {
          bar.stop();
          if (options.out) {
            target.end();
            await once(target, 'close');
          }
        }
        const seconds = (Date.now() - started) / 1000;
        if (options.quiet) return;
        const summary = { ...result, file: options.out ?? null, seconds, eventsPerSecond: seconds > 0 ? Math.round(result.events / seconds) : null };
        await err(
          options.json
            ? `${JSON.stringify(summary)}\n`
            : `exported ${count(result.events, 'event')}${result.first ? ` (positions ${result.first} to ${result.last})` : ''}${options.out ? ` to ${options.out}` : ''} in ${seconds.toFixed(1)} s` +
                (result.digest ? `\nchain digest ${result.digest}: keep it apart from the file; scim-audit verify-export ${options.out ?? '<file>'} --digest ${result.digest}` : '') +
                '\n',
        );
      });
    });

  program
    .command('verify-export')
    .description('check a chained export: every line\'s hash, its link to the line before, the digest line')
    .argument('<file>', 'the export (- for stdin)')
    .option('--digest <sha256>', 'the digest export printed, kept apart from the file: the file must end in it')
    .option('--json', 'print JSON')
    .action(async (file: string, options: Common & { digest?: string }) => {
      if (options.digest !== undefined && !/^[0-9a-fA-F]{64}$/.test(options.digest)) throw new UsageError('--digest must be 64 hexadecimal digits (a SHA-256)');
      const report = await verifyExport(file, options.digest);
      await print(options, report, () => chainText(file, report));
      if (report.problems.length > 0) throw new Findings();
    });

  program
    .command('verify')
    .description('rebuild the read models from the log into scratch tables and compare them with the live ones row by row; check the uniqueness claims against the resources')
    .addArgument(new Argument('[targets...]', 'what to check (default: all)').choices(VERIFY_TARGETS))
    .option('--wait <seconds>', 'how long a live read model may take to reach the end of the log', '30')
    .option('--rounds <n>', 'comparisons at most: a difference counts only when it stays after catching up again', '3')
    .option('--quiet', 'no progress bars')
    .option('--json', 'print JSON')
    .action(async (targets: VerifyTarget[], options: Common & { wait: string; rounds: string }) => {
      const waitMs = positiveNumber(options.wait, '--wait') * 1000;
      const rounds = positiveNumber(options.rounds, '--rounds');
      await session(options, async ({ pool, store }) => {
        const report = await verifyReadModels({
          pool,
          store,
          targets: targets.length > 0 ? targets : VERIFY_TARGETS,
          waitMs,
          rounds: Math.floor(rounds),
          ...(io.signal ? { signal: io.signal } : {}),
          progress: (title, from, to) => progressBar(title, store.kind, from, to, showProgress(options)),
          onStep: (text) => {
            if (!options.json && !options.quiet && io.stderr === process.stderr && process.stderr.isTTY) void err(`${text}\n`);
          },
        });
        await print(options, report, () => verifyText(report));
        if (!report.ok) throw new Findings();
      });
    });

  program
    .command('rebuild')
    .description('rebuild read models from position zero into fresh tables and swap them in without downtime (what make rebuild runs)')
    .addArgument(new Argument('[projections...]', 'which (default: all)').choices(projections.map((p) => p.name)))
    .option('--quiet', 'no progress bar')
    .option('--json', 'print JSON')
    .action(async (names: string[], options: Common) => {
      const selected = names.length > 0 ? projections.filter((p) => names.includes(p.name)) : projections;
      await session(options, async ({ config, pool, store, log }) => {
        await migrate(config.DATABASE_URL, log);
        const results = [];
        for (const projection of selected) {
          const started = Date.now();
          const head = await store.headPosition();
          const bar = progressBar(`rebuild ${projection.name}`, store.kind, null, head, showProgress(options));
          const readCommitted = inlineReads(store, projection);
          let result;
          try {
            result = await rebuildProjection({
              pool,
              store,
              projection,
              log,
              ...(io.signal ? { signal: io.signal } : {}),
              ...(readCommitted ? { readCommitted } : {}),
              onProgress: (n, p) => bar.update(n, p),
            });
          } finally {
            bar.stop();
          }
          const seconds = (Date.now() - started) / 1000;
          const done = { projection: projection.name, version: projection.version, events: result.events, position: result.position && formatPosition(result.position), seconds, eventsPerSecond: seconds > 0 ? Math.round(result.events / seconds) : null };
          results.push(done);
          if (!options.json) {
            await out(
              `${projection.name}: rebuilt from ${count(done.events, 'event')} in ${seconds.toFixed(1)} s (${(done.eventsPerSecond ?? 0).toLocaleString('en-US')} events/s), swapped in at ${done.position ?? 'the empty log'} (version ${projection.version})\n`,
            );
          }
        }
        if (options.json) await out(`${JSON.stringify(results, null, 2)}\n`);
      });
    });

  program
    .command('republish')
    .description('send events to Kafka again with the publisher\'s envelope, keys and headers, so a consumer that lost data catches up (consumers dedupe)')
    .requiredOption('--from <position>', 'the events after this position (a consumer\'s checkpoint; 0/0 for the whole log)')
    .option('--to <position>', 'up to and including this position (default: the end of the log)')
    .option('--topic <topic>', 'the topic (default: KAFKA_TOPIC); created with KAFKA_TOPIC_PARTITIONS partitions when missing')
    .option('--quiet', 'no progress bar')
    .option('--json', 'print JSON')
    .action(async (options: Common & { from: string; to?: string; topic?: string }) => {
      const from = position(options.from, '--from');
      const to = options.to === undefined ? undefined : position(options.to, '--to');
      await session(options, async ({ config, store, log }) => {
        const topic = options.topic ?? config.KAFKA_TOPIC;
        if (!/^[a-zA-Z0-9._-]{1,249}$/.test(topic)) throw new UsageError(`--topic ${JSON.stringify(topic)} is not a Kafka topic name`);
        const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-republish`, log: log.child({ component: 'kafka' }) });
        const head = to ?? (await store.headPosition());
        const bar = progressBar('republish', store.kind, from, head, showProgress(options));
        const started = Date.now();
        let result;
        try {
          result = await republish({
            store,
            kafka,
            topic,
            source: config.EVENT_SOURCE,
            partitions: config.KAFKA_TOPIC_PARTITIONS,
            replicationFactor: config.KAFKA_REPLICATION_FACTOR,
            from,
            ...(to ? { to } : {}),
            log,
            ...(io.signal ? { signal: io.signal } : {}),
            onProgress: (n, p) => bar.update(n, p),
          });
        } finally {
          bar.stop();
        }
        const seconds = (Date.now() - started) / 1000;
        const summary = { ...result, topic, source: config.EVENT_SOURCE, seconds };
        await print(
          options,
          summary,
          () =>
            `republished ${count(result.events, 'event')}${result.first ? ` (positions ${result.first} to ${result.last})` : ''} to ${topic} as ${config.EVENT_SOURCE} in ${seconds.toFixed(1)} s\n`,
        );
      });
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof Findings) return EXIT.findings;
    if (error instanceof UsageError || error instanceof ConfigError) {
      await err(`scim-audit: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof ScimError) {
      await err(`scim-audit: ${error.detail}\n`);
      return error.status === 400 ? EXIT.usage : EXIT.findings;
    }
    if (io.signal?.aborted) {
      await err('scim-audit: interrupted\n');
      return 130;
    }
    const verbose = argv.includes('--verbose');
    await err(`scim-audit: ${verbose && error instanceof Error ? (error.stack ?? error.message) : error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.findings;
  }
}

function position(text: string, what: string): Position {
  const instant: Instant = parseInstant(text, what);
  if (instant.kind !== 'position') throw new UsageError(`${what} must be a log position (<commit>/<prepare>, e.g. 7514/1202), not a time`);
  return parsePosition(formatPosition(instant.position));
}

function positiveNumber(text: string, what: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${what} must be a positive number, not ${JSON.stringify(text)}`);
  return value;
}

/** bigints (revisions in views) as decimal strings. */
function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}
