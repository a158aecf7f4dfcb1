import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../../shared/db/project-root';
import type { NothingLostResult } from './checks';
import type { Outcome } from './entra-load';
import type { WriteLedger } from './ledger';

/** quick: the sizes `make test` runs (a few minutes in all); full: the numbers (`make test-reliability`). */
export type ReliabilityScale = 'quick' | 'full';

/** RELIABILITY_SCALE (quick by default). @throws Error for any other value. */
export function reliabilityScale(env: NodeJS.ProcessEnv = process.env): ReliabilityScale {
  const value = env.RELIABILITY_SCALE ?? 'quick';
  if (value !== 'quick' && value !== 'full') throw new Error(`RELIABILITY_SCALE must be quick or full, not ${value}`);
  return value;
}

/** What one scenario did and found: one JSON file per scenario, which the report renders. */
export interface ScenarioResult {
  /** Short and file-safe: "1-kill-9". */
  readonly id: string;
  readonly title: string;
  readonly scale: ReliabilityScale;
  readonly seed?: number;
  readonly durationMs: number;
  /** Requests the load sent (reads and writes). */
  readonly requests: number;
  readonly acknowledgedWrites: number;
  /** Writes whose outcome was unknown (503, no answer): not required to be visible. */
  readonly unknownWrites?: number;
  /** The faults, as a phrase ("20 × kill -9"), and how many. */
  readonly faults: string;
  readonly faultsInjected: number;
  /** Events of the store checked on the topic. */
  readonly eventsChecked: number;
  /** Redeliveries seen on the topic (allowed: at-least-once). */
  readonly duplicatesOnTopic?: number;
  /** Acknowledged writes not visible afterwards (must be 0). */
  readonly lost: number;
  /** Named recovery times in ms (one value, or one per fault). */
  readonly recoveryMs: Readonly<Record<string, number | readonly number[]>>;
  /** Resident memory of the service, MiB, early and late in the run. */
  readonly rssMiB?: { readonly early: number; readonly late: number };
  /** Status counts of every answer, "<status>": n. */
  readonly statuses?: Readonly<Record<string, number>>;
  readonly notes?: readonly string[];
  readonly passed: boolean;
}

/** Where the results go: test-artifacts/reliability/ (git-ignored). */
export const RESULTS_DIR = path.join(projectRoot(__dirname), 'test-artifacts', 'reliability');

/** Writes test-artifacts/reliability/<id>.json (with the time it finished); returns its path. */
export function writeScenarioResult(result: ScenarioResult): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${result.id}.json`);
  writeFileSync(file, `${JSON.stringify({ ...result, finishedAt: new Date().toISOString() }, null, 2)}\n`);
  return file;
}

/** Every result written so far, by id. */
export function readScenarioResults(dir: string = RESULTS_DIR): (ScenarioResult & { finishedAt: string })[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as ScenarioResult & { finishedAt: string });
}

/** Counts of HTTP statuses ("0" is no answer). */
export function statusCounts(statuses: readonly number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of statuses) counts[String(s)] = (counts[String(s)] ?? 0) + 1;
  return counts;
}

/**
 * A ScenarioResult from what every scenario has (its load's outcomes, its ledger, its
 * nothing-lost check) and what it adds; passed is `passed` and the check's ok.
 */
export function scenarioResult(parts: {
  readonly id: string;
  readonly title: string;
  readonly seed: number;
  readonly startedAt: number;
  readonly outcomes: readonly Outcome[];
  readonly ledger: WriteLedger;
  readonly check: NothingLostResult;
  readonly faults: string;
  readonly faultsInjected: number;
  readonly recoveryMs: Readonly<Record<string, number | readonly number[]>>;
  readonly rssMiB?: ScenarioResult['rssMiB'];
  readonly notes?: readonly string[];
  readonly passed: boolean;
}): ScenarioResult {
  const { check } = parts;
  return {
    id: parts.id,
    title: parts.title,
    scale: reliabilityScale(),
    seed: parts.seed,
    durationMs: Date.now() - parts.startedAt,
    requests: parts.outcomes.length,
    acknowledgedWrites: parts.ledger.acknowledgedWrites,
    unknownWrites: parts.ledger.unknownWrites.length,
    faults: parts.faults,
    faultsInjected: parts.faultsInjected,
    eventsChecked: check.topic.storeEvents,
    duplicatesOnTopic: check.topic.duplicates,
    lost: check.lost.length,
    recoveryMs: {
      ...parts.recoveryMs,
      ...(check.topic.completeAfterMs !== undefined ? { 'check: fresh reader had the whole topic after': check.topic.completeAfterMs } : {}),
      ...(check.teamSync.equalAfterMs !== undefined ? { 'check: team-sync equal to the service after': check.teamSync.equalAfterMs } : {}),
    },
    ...(parts.rssMiB ? { rssMiB: parts.rssMiB } : {}),
    statuses: statusCounts(parts.outcomes.map((o) => o.status)),
    notes: [
      `Resources read back through GET: ${check.resourcesChecked}; team members compared: ${check.teamSync.teamMembers}; scim-audit verify: ${check.audit.summary}.`,
      ...(parts.notes ?? []),
    ],
    passed: parts.passed && check.ok,
  };
}
