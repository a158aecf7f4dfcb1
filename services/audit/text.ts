import type { Change } from '../../shared/audit/changes';
import type { History, HistoryEntry } from '../../shared/audit/history';
import type { TeamAsOf } from '../../shared/audit/team-members';
import type { ChainReport } from './export-chain';
import type { ProjectionReport, RowDifference, VerifyReport } from './verify';

/**
 * The audit tool's answers as text for people (`--json` prints the same objects as JSON instead).
 * Every value that came from a client is shown as JSON, so a name can never pass for the sentence
 * around it.
 */

export const count = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
const json = (value: unknown) => (value === undefined ? 'nothing' : JSON.stringify(value));

function changeLine(change: Change): string {
  switch (change.op) {
    case 'added':
      return `+ ${change.path}: ${json(change.after)}`;
    case 'removed':
      return `- ${change.path}: ${json(change.before)}`;
    case 'changed':
      return `~ ${change.path}: ${json(change.before)} → ${json(change.after)}`;
  }
}

function entryLines(entry: HistoryEntry): string[] {
  const version = entry.readAs ? ` (written as v${entry.schemaVersion}, read as v${entry.readAs})` : '';
  const origin = [
    entry.origin.requestId ? `request ${entry.origin.requestId}` : '',
    entry.origin.ip || entry.origin.userAgent ? `from ${[entry.origin.ip, entry.origin.userAgent ? json(entry.origin.userAgent) : ''].filter(Boolean).join(' ')}` : '',
  ].filter(Boolean);
  return [
    `${entry.occurredAt}  ${entry.type}${version}  revision ${entry.revision}, position ${entry.position}`,
    `    by ${entry.actor.label}${origin.length ? `; ${origin.join('; ')}` : ''}`,
    ...(entry.changes.length ? entry.changes.map((c) => `    ${changeLine(c)}`) : ['    (no change to what the aggregate shows)']),
  ];
}

export function historyText(history: History): string {
  const { subject, entries } = history;
  const others = subject.names.filter((name) => name !== subject.name);
  const heading =
    subject.kind === 'settings'
      ? 'History of the SCIM settings (stream scim-settings)'
      : `History of ${subject.kind} ${subject.id}${subject.name !== subject.id ? ` ${json(subject.name)}` : ''}${others.length ? `, also known as ${others.map(json).join(', ')}` : ''}`;
  return [`${heading}: ${count(entries.length, 'event')}`, '', ...entries.flatMap((e) => [...entryLines(e), ''])].join('\n');
}

export function teamText(team: TeamAsOf, at: string): string {
  const link = team.scimGroup
    ? `linked to SCIM group ${json(team.scimGroup.displayName)} (${team.scimGroup.id})${team.linkPaused ? ', link paused: members frozen' : ', following its active members'}`
    : 'not linked to a SCIM group';
  const width = Math.max(8, ...team.members.map((m) => m.username.length));
  return [
    `Team ${team.teamId} ${json(team.name)}${team.isOwners ? ' (owners)' : ''} at ${at}: ${link}`,
    team.members.length > 0 ? `${count(team.members.length, 'member')}:` : 'no members',
    ...team.members.map((m) => `  ${m.username.padEnd(width)}  ${m.kind.padEnd(15)}  ${m.accountId}`),
    '',
  ].join('\n');
}

function rowDifferenceLines(d: RowDifference): string[] {
  const key = Object.entries(d.key)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
  if (d.live === null) return [`  ${d.table} (${key}): missing from the live read model; the log has ${json(d.expected)}`];
  if (d.expected === null) return [`  ${d.table} (${key}): in the live read model, but not in the log: ${json(d.live)}`];
  const columns = [...new Set([...Object.keys(d.live), ...Object.keys(d.expected)])].filter((c) => json(d.live![c]) !== json(d.expected![c]));
  return [`  ${d.table} (${key}):`, ...columns.map((c) => `      ${c}: live ${json(d.live![c])}, log ${json(d.expected![c])}`)];
}

function projectionLines(report: ProjectionReport): string[] {
  const tables = Object.entries(report.rows)
    .map(([table, rows]) => `${table} ${rows.toLocaleString('en-US')}`)
    .join(', ');
  const head = `${report.name}: rebuilt from ${count(report.events, 'event')} (to ${report.position ?? 'the empty log'}) into scratch tables (${tables})`;
  const lines = [head];
  if (report.behind) lines.push(`  ${report.behind}`);
  if (report.differences.length === 0) lines.push('  the live read model matches the log, row for row');
  else {
    lines.push(`  ${count(report.differenceCount, 'difference')}${report.differenceCount > report.differences.length ? ` (the first ${report.differences.length} shown)` : ''}:`);
    lines.push(...report.differences.flatMap(rowDifferenceLines));
  }
  return lines;
}

export function verifyText(report: VerifyReport): string {
  const lines = report.projections.flatMap((p) => [...projectionLines(p), '']);
  if (report.claims) {
    const { checked, differences, unsettled } = report.claims;
    lines.push(`claims: ${count(checked, 'key')} the resources hold, compared with unique_keys (token HMACs are not in the log and are not compared)`);
    if (differences.length === 0) lines.push('  every claim matches a live resource, and every live resource holds its claims');
    for (const d of differences) {
      const what = `${d.scope} ${json(d.key)}`;
      if (d.live === null) lines.push(`  ${what}: missing from unique_keys; ${d.expected!.ownerStream} holds ${json(d.expected!.value)}`);
      else if (d.expected === null) lines.push(`  ${what}: claimed by ${d.live.ownerStream} (${d.live.state}), which holds no such key`);
      else lines.push(`  ${what}: unique_keys has ${json(d.live.value)} for ${d.live.ownerStream}, the log ${json(d.expected.value)} for ${d.expected.ownerStream}`);
    }
    for (const u of unsettled) lines.push(`  note: ${u.scope} ${json(u.key)} of ${u.ownerStream} is ${u.state} (the key reconciler settles it)`);
    lines.push('');
  }
  lines.push(report.ok ? `OK: no drift (${count(report.rounds, 'comparison round')})` : `DRIFT: the differences above stayed through ${count(report.rounds, 'comparison round')}`);
  return `${lines.join('\n')}\n`;
}

export function chainText(file: string, report: ChainReport): string {
  if (report.problems.length === 0) {
    return `OK: ${file}: ${count(report.events, 'event')} (${report.format}), every line chained to the one before, digest ${report.digest}\n`;
  }
  return [
    `TAMPERED: ${file}: ${count(report.problems.length, 'problem')} in ${count(report.events, 'event line')} (${report.format}):`,
    ...report.problems.map((p) => `  line ${p.line}: ${p.detail}`),
    '',
  ].join('\n');
}
