#!/usr/bin/env node
/*
 * Waits until every URL answers 2xx to a GET, while a process is alive.
 *
 *   node scripts/wait-for-http.js [--timeout <seconds>] [--pid <pid>] <url>...
 *
 * Exit 0 once every URL answered 2xx; 1 when the deadline (default 120 s) passed first, naming the
 * URLs that did not answer on stderr; 3 when the process --pid ended first (it failed to start: its
 * log says why); 2 on bad arguments. scripts/run-local.sh prints its banner only once the URLs it
 * shows answer. Plain CommonJS, no dependencies: runs before and without a build.
 */
'use strict';

const PAUSE_MS = 200;
const ATTEMPT_TIMEOUT_MS = 2000;

function usage(message) {
  console.error(`wait-for-http: ${message}`);
  console.error('usage: node scripts/wait-for-http.js [--timeout <seconds>] [--pid <pid>] <url>...');
  process.exit(2);
}

function parseArgs(argv) {
  let timeoutSeconds = 120;
  let pid;
  const urls = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const next = () => {
      i += 1;
      if (i >= argv.length) usage(`${arg} needs a value`);
      return argv[i];
    };
    if (arg === '--timeout') timeoutSeconds = Number(next());
    else if (arg === '--pid') pid = Number(next());
    else if (arg.startsWith('--')) usage(`unknown argument ${arg}`);
    else urls.push(arg);
  }
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) usage('bad --timeout');
  if (pid !== undefined && !Number.isInteger(pid)) usage('bad --pid');
  if (urls.length === 0) usage('no URL');
  return { timeoutMs: timeoutSeconds * 1000, pid, urls };
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

async function answers(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

async function main() {
  const { timeoutMs, pid, urls } = parseArgs(process.argv.slice(2));
  const deadline = Date.now() + timeoutMs;
  const waiting = new Set(urls);
  for (;;) {
    for (const url of [...waiting]) if (await answers(url)) waiting.delete(url);
    if (waiting.size === 0) return 0;
    if (pid !== undefined && !alive(pid)) return 3;
    if (Date.now() > deadline) {
      console.error(`wait-for-http: no answer within ${timeoutMs / 1000} s from ${[...waiting].join(', ')}`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
}

main().then((code) => process.exit(code));
