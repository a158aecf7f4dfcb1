#!/usr/bin/env node
/*
 * Waits until a Kafka broker answers an admin describeCluster request.
 *
 *   node scripts/wait-for-kafka.js [--timeout <seconds>] [--brokers host:port[,host:port...]] [--once] [--quiet]
 *
 * Brokers:  --brokers, else KAFKA_BROKERS (comma list), else 127.0.0.1:9092.
 * Deadline: --timeout, else KAFKA_WAIT_TIMEOUT (seconds), else 60.
 * --once:   a probe, not a wait: one attempt (bounded by the deadline), no retries.
 * Exit 0 when the cluster answered (one line on stdout), 1 when the deadline passed (the last error
 * on stderr), 2 on bad arguments. --quiet drops those two lines.
 *
 * Plain CommonJS so scripts/kafka.sh can run it without a build. kafkajs's own logging is off:
 * while a broker starts, every refused connection would otherwise print an error.
 */
'use strict';

const { Kafka, logLevel } = require('kafkajs');

const ATTEMPT_TIMEOUT_MS = 5000;
const PAUSE_BETWEEN_ATTEMPTS_MS = 500;

function usage(message) {
  console.error(`wait-for-kafka: ${message}`);
  console.error('usage: node scripts/wait-for-kafka.js [--timeout <seconds>] [--brokers host:port,...] [--once] [--quiet]');
  process.exit(2);
}

function parseArgs(argv) {
  const options = {
    brokers: process.env.KAFKA_BROKERS || '127.0.0.1:9092',
    timeoutSeconds: process.env.KAFKA_WAIT_TIMEOUT || '60',
    quiet: false,
    once: false,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const [name, inline] = arg.split(/=(.*)/s, 2);
    const value = () => {
      if (inline !== undefined) return inline;
      i += 1;
      if (i >= argv.length) usage(`${name} needs a value`);
      return argv[i];
    };
    if (name === '--timeout') options.timeoutSeconds = value();
    else if (name === '--brokers') options.brokers = value();
    else if (name === '--quiet' || name === '-q') options.quiet = true;
    else if (name === '--once') options.once = true;
    else if (name === '--help' || name === '-h') usage('help');
    else usage(`unknown argument ${arg}`);
  }
  const timeoutSeconds = Number(options.timeoutSeconds);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) usage(`bad timeout ${options.timeoutSeconds}`);
  const brokers = String(options.brokers)
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) usage('no brokers');
  return { brokers, timeoutMs: timeoutSeconds * 1000, quiet: options.quiet, once: options.once };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One connect + describeCluster + disconnect, bounded by timeoutMs. */
async function describeOnce(kafka, timeoutMs) {
  const admin = kafka.admin();
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  const work = (async () => {
    await admin.connect();
    return admin.describeCluster();
  })();
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    // Also when the attempt timed out: a late connect must not keep the process alive.
    work.catch(() => undefined).finally(() => admin.disconnect().catch(() => undefined));
    await admin.disconnect().catch(() => undefined);
  }
}

async function main() {
  const { brokers, timeoutMs, quiet, once } = parseArgs(process.argv.slice(2));
  const kafka = new Kafka({
    clientId: 'wait-for-kafka',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: ATTEMPT_TIMEOUT_MS,
    retry: { retries: 0 },
  });

  const started = Date.now();
  const deadline = started + timeoutMs;
  let attempts = 0;
  let lastError = 'no attempt made';
  while (Date.now() < deadline) {
    attempts += 1;
    try {
      const remaining = Math.max(1, deadline - Date.now());
      const cluster = await describeOnce(kafka, Math.min(ATTEMPT_TIMEOUT_MS, remaining));
      if (cluster.brokers.length > 0) {
        if (!quiet) {
          const seconds = ((Date.now() - started) / 1000).toFixed(1);
          const nodes = cluster.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`).join(', ');
          console.log(
            `kafka ready at ${brokers.join(',')} after ${seconds}s ` +
              `(cluster ${cluster.clusterId}, controller ${cluster.controller}, brokers ${nodes})`,
          );
        }
        return 0;
      }
      lastError = 'the cluster reported no brokers';
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (once) break;
    await sleep(Math.min(PAUSE_BETWEEN_ATTEMPTS_MS, Math.max(0, deadline - Date.now())));
  }
  const waited = once ? 'on a single attempt' : `within ${(timeoutMs / 1000).toFixed(0)}s (${attempts} attempts)`;
  if (!quiet) console.error(`kafka not ready at ${brokers.join(',')} ${waited}; last error: ${lastError}`);
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`wait-for-kafka: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
