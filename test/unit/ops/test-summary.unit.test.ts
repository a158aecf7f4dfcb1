import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain CommonJS script CI runs without a build
const { summaryLine } = require('../../../scripts/test-summary.js') as { summaryLine: (file: string) => { line: string; failed: number } };

describe("CI's last line (scripts/test-summary.js)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'test-summary-'));
  const results = (counts: Record<string, number>) => {
    const file = path.join(dir, `${Object.values(counts).join('-')}.json`);
    writeFileSync(file, JSON.stringify({ numPassedTests: 0, numFailedTests: 0, numRuntimeErrorTestSuites: 0, numPendingTests: 0, numTodoTests: 0, ...counts }));
    return file;
  };

  it('counts skipped tests (it.skip, it.todo, a skipped describe) apart from passed and failed', () => {
    expect(summaryLine(results({ numPassedTests: 412, numPendingTests: 7, numTodoTests: 1 }))).toEqual({ line: 'tests: 412 passed, 0 failed, 8 skipped', failed: 0 });
  });

  it('counts a suite that failed to load as a failure', () => {
    expect(summaryLine(results({ numPassedTests: 3, numFailedTests: 2, numRuntimeErrorTestSuites: 1 }))).toEqual({ line: 'tests: 3 passed, 3 failed, 0 skipped', failed: 3 });
  });

  it('counts no results at all as one failure', () => {
    expect(summaryLine(path.join(dir, 'missing.json'))).toEqual({ line: 'tests: 0 passed, 1 failed, 0 skipped', failed: 1 });
  });
});
