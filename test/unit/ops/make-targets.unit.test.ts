import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../../shared/db/project-root';

/**
 * `make help` and the README name the same targets, and each is a real one: a new user who reads
 * either finds every target, and nothing that does not exist. Reads the files (no service).
 */
const ROOT = projectRoot(__dirname);
const make = (...args: string[]) => spawnSync('make', ['-s', '-C', ROOT, ...args], { encoding: 'utf8' });

/** `make a / b / c   text` and `make x FILE=y   text`: the targets of the first column. */
function helpTargets(): Set<string> {
  const targets = new Set<string>();
  for (const line of make('help').stdout.split('\n')) {
    const match = /^make (.+?)(?:\s{2,}|$)/.exec(line);
    if (!match) continue;
    for (const part of match[1]!.split('/')) targets.add(part.trim().replace(/^make /, '').split(/\s+/)[0]!);
  }
  return targets;
}

/** Targets the README names: `make x` in inline code, and `make x` commands at the start of a line in a code block. */
function readmeTargets(): Set<string> {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const targets = new Set<string>();
  for (const match of readme.matchAll(/`make ([a-z][a-z0-9-]*)[^`]*`/g)) targets.add(match[1]!);
  for (const match of readme.matchAll(/^make ([a-z][a-z0-9-]*)/gm)) targets.add(match[1]!);
  return targets;
}

function phonyTargets(): Set<string> {
  const makefile = readFileSync(path.join(ROOT, 'Makefile'), 'utf8');
  const phony = /^\.PHONY:(.*)$/m.exec(makefile);
  return new Set(phony![1]!.trim().split(/\s+/));
}

const sorted = (set: Set<string>) => [...set].sort();

describe('make help and the README', () => {
  const help = helpTargets();
  const readme = readmeTargets();

  it('name the same targets, both ways', () => {
    expect(help.size).toBeGreaterThan(10);
    expect(sorted(readme)).toEqual(sorted(help));
  });

  it('name every phony target of the Makefile, and only those', () => {
    expect(sorted(help)).toEqual(sorted(phonyTargets()));
  });

  it('name targets make knows', () => {
    for (const target of help) {
      const dryRun = make('-n', target, 'FILE=accounts.csv');
      expect({ target, status: dryRun.status, stderr: dryRun.stderr }).toEqual({ target, status: 0, stderr: '' });
    }
  });

  it('say that make run holds the terminal, how long the first run takes, and that the tests need Chromium', () => {
    const text = make('help').stdout;
    expect(text).toMatch(/holds the terminal \(Ctrl-C stops it\)/);
    expect(text).toMatch(/first run takes about \d+-\d+ minutes/);
    expect(text).toMatch(/needs Chromium/);
    const readmeText = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readmeText).toMatch(/`make run` holds the terminal/);
    expect(readmeText).toMatch(/for `make test`, Chromium/);
  });
});
