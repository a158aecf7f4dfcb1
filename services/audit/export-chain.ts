import { createHash } from 'node:crypto';

/**
 * The hash chain of an export (`scim-audit export --chain`). Every event line carries
 * `hash = SHA-256(prev ‖ content)`, hex, where `prev` is the previous event line's hash (64 zeros
 * for the first) and `content` the line's event exactly as written (its UTF-8 bytes); the last
 * line, the digest, repeats the last hash and the number of event lines. Editing a line breaks its
 * hash; dropping, adding or reordering lines breaks the link of the next line to its predecessor;
 * cutting the end breaks the digest; and rewriting every hash after an edit changes the digest,
 * which the exporter prints for the operator to keep apart from the file.
 *
 *   ndjson: {"prev":"<64 hex>","hash":"<64 hex>","event":<content>}
 *           {"digest":"<64 hex>","events":<n>,"chain":"sha256-v1"}
 *   csv:    <content>,<prev>,<hash>          (header: <columns>,prev,hash)
 *           #digest,<n>,<64 hex>
 */
export const CHAIN_NAME = 'sha256-v1';
export const GENESIS = '0'.repeat(64);

export function chainHash(prev: string, content: string): string {
  return createHash('sha256').update(prev, 'latin1').update(content, 'utf8').digest('hex');
}

export const chainedJsonLine = (prev: string, hash: string, content: string) => `{"prev":"${prev}","hash":"${hash}","event":${content}}`;
export const jsonDigestLine = (digest: string, events: number) => `{"digest":"${digest}","events":${events},"chain":"${CHAIN_NAME}"}`;
export const csvDigestLine = (digest: string, events: number) => `#digest,${events},${digest}`;

const JSON_LINE = /^\{"prev":"([0-9a-f]{64})","hash":"([0-9a-f]{64})","event":(.*)\}$/s;
const JSON_DIGEST = /^\{"digest":"([0-9a-f]{64})","events":(\d+),"chain":"([^"]*)"\}$/;
const CSV_LINE = /^(.*),([0-9a-f]{64}),([0-9a-f]{64})$/s;
const CSV_DIGEST = /^#digest,(\d+),([0-9a-f]{64})$/;

/** One finding of verify-export, at a line of the file (1-based). */
export interface ChainProblem {
  readonly line: number;
  readonly problem: 'edited' | 'out-of-order' | 'missing-before' | 'malformed' | 'digest' | 'no-digest' | 'after-digest';
  readonly detail: string;
}

export interface ChainReport {
  readonly format: 'ndjson' | 'csv';
  /** Event lines read. */
  readonly events: number;
  /** The digest line's digest, when there is one. */
  readonly digest: string | null;
  readonly problems: readonly ChainProblem[];
}

/** How far back (in lines) a line whose predecessor is wrong is looked for, to tell a reordering from a loss. */
const WINDOW = 1024;

/**
 * Checks an export's chain line by line, in memory that does not grow with the file (a window of
 * the last WINDOW hashes, to say where a displaced line belongs). Feed every line (without its
 * newline) to `line`, then call `end`. `expectedDigest`: the digest the exporter printed, when the
 * operator kept it; the file's own digest line is then checked against it too.
 */
export class ChainVerifier {
  private lineNumber = 0;
  private format: 'ndjson' | 'csv' | undefined;
  private events = 0;
  private lastHash = GENESIS;
  private digest: { value: string; events: number; line: number } | undefined;
  private readonly problems: ChainProblem[] = [];
  /** hash -> line number, for the last WINDOW event lines. */
  private readonly recent = new Map<string, number>();
  /** Lines whose `prev` named a hash not seen yet: resolved when (if) it turns up within the window. */
  private readonly waiting = new Map<string, number>();

  constructor(private readonly expectedDigest?: string) {}

  line(text: string): void {
    this.lineNumber++;
    const n = this.lineNumber;
    if (text === '') return;
    if (this.format === undefined) {
      this.format = text.startsWith('{') ? 'ndjson' : 'csv';
      if (this.format === 'csv') {
        if (!/,prev,hash$/.test(text)) this.problems.push({ line: n, problem: 'malformed', detail: 'the CSV header does not end in the chain columns prev,hash: this is not a chained export' });
        return;
      }
    }
    if (this.digest) {
      this.problems.push({ line: n, problem: 'after-digest', detail: `a line follows the digest line (line ${this.digest.line})` });
      return;
    }
    const digest = this.format === 'ndjson' ? JSON_DIGEST.exec(text) : CSV_DIGEST.exec(text);
    if (digest) {
      const [value, events] = this.format === 'ndjson' ? [digest[1]!, Number(digest[2])] : [digest[2]!, Number(digest[1])];
      if (this.format === 'ndjson' && digest[3] !== CHAIN_NAME) this.problems.push({ line: n, problem: 'malformed', detail: `unknown chain ${JSON.stringify(digest[3])}; this tool checks ${CHAIN_NAME}` });
      this.digest = { value, events, line: n };
      return;
    }
    const parts = this.format === 'ndjson' ? JSON_LINE.exec(text) : CSV_LINE.exec(text);
    if (!parts) {
      this.problems.push({ line: n, problem: 'malformed', detail: 'not a chained event line' });
      return;
    }
    const [prev, hash, content] = this.format === 'ndjson' ? [parts[1]!, parts[2]!, parts[3]!] : [parts[2]!, parts[3]!, parts[1]!];
    this.events++;
    if (this.format === 'ndjson' && !isJson(content)) this.problems.push({ line: n, problem: 'malformed', detail: 'the event is not JSON' });
    if (chainHash(prev, content) !== hash) {
      this.problems.push({ line: n, problem: 'edited', detail: 'its content does not match its hash: the line was edited' });
    }
    if (prev !== this.lastHash) {
      const earlier = this.recent.get(prev);
      if (earlier !== undefined) {
        this.problems.push({ line: n, problem: 'out-of-order', detail: `it does not follow line ${n - 1}: it belongs right after line ${earlier} (lines out of order)` });
      } else {
        // Its predecessor may still come (a swap), or never (a loss): decided when it does, or at the end.
        this.waiting.set(prev, n);
      }
    }
    const displaced = this.waiting.get(hash);
    if (displaced !== undefined) {
      this.waiting.delete(hash);
      this.problems.push({ line: displaced, problem: 'out-of-order', detail: `it does not follow line ${displaced - 1}: it belongs right after line ${n} (lines out of order)` });
    }
    this.remember(hash, n);
    this.lastHash = hash;
  }

  end(): ChainReport {
    for (const [, n] of this.waiting) {
      this.problems.push({ line: n, problem: 'missing-before', detail: `it does not follow line ${n - 1}: a line before it is missing (or the one before was rewritten with a new hash)` });
    }
    this.waiting.clear();
    const at = this.lineNumber + 1;
    if (!this.digest) {
      this.problems.push({ line: at, problem: 'no-digest', detail: 'there is no digest line: the file was cut short' });
    } else {
      if (this.digest.events !== this.events) {
        this.problems.push({ line: this.digest.line, problem: 'digest', detail: `the digest line counts ${this.digest.events} events, the file holds ${this.events}` });
      }
      if (this.digest.value !== this.lastHash) {
        this.problems.push({ line: this.digest.line, problem: 'digest', detail: 'the digest does not match the last event line: lines are missing or changed at the end' });
      }
      if (this.expectedDigest !== undefined && this.digest.value !== this.expectedDigest.toLowerCase()) {
        this.problems.push({ line: this.digest.line, problem: 'digest', detail: `the digest is not the one given (${this.expectedDigest}): the file is not the export that printed it` });
      }
    }
    this.problems.sort((a, b) => a.line - b.line);
    return { format: this.format ?? 'ndjson', events: this.events, digest: this.digest?.value ?? null, problems: this.problems };
  }

  private remember(hash: string, n: number): void {
    this.recent.set(hash, n);
    if (this.recent.size > WINDOW) this.recent.delete(this.recent.keys().next().value!);
    // A predecessor that has not turned up within the window is missing.
    for (const [prev, line] of this.waiting) {
      if (n - line < WINDOW) break;
      this.waiting.delete(prev);
      this.problems.push({ line, problem: 'missing-before', detail: `it does not follow line ${line - 1}: a line before it is missing (or the one before was rewritten with a new hash)` });
    }
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
