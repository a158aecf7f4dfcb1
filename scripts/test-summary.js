#!/usr/bin/env node
/*
 * The last line CI prints: `tests: N passed, N failed, N skipped`, from jest's --json output.
 *
 *   node scripts/test-summary.js [test-artifacts/jest-results.json]
 *
 * failed counts suites that failed to load (they have no test results of their own); skipped
 * counts it.skip / it.todo and the tests of a skipped describe. A missing or unreadable file is
 * one failure. Exit 0 when nothing failed, 1 otherwise.
 */
'use strict';

const fs = require('fs');

function summarise(results) {
  return {
    passed: results.numPassedTests,
    failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
    skipped: results.numPendingTests + results.numTodoTests,
  };
}

function summaryLine(file) {
  let counts;
  try {
    counts = summarise(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch {
    counts = { passed: 0, failed: 1, skipped: 0 };
  }
  return { line: `tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`, failed: counts.failed };
}

if (require.main === module) {
  const { line, failed } = summaryLine(process.argv[2] || 'test-artifacts/jest-results.json');
  console.log(line);
  process.exit(failed > 0 ? 1 : 0);
}

module.exports = { summaryLine };
