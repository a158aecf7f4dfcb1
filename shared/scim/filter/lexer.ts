import { isStorable } from '../../db/storable-text';
import type { ScimError } from '../errors';
import type { CompareValue } from './ast';

export type TokenKind = 'lparen' | 'rparen' | 'lbracket' | 'rbracket' | 'word' | 'string' | 'end';

/** A token and where it sits in the text: `start` inclusive, `end` exclusive, in UTF-16 code units. */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

export interface ValueToken {
  readonly value: CompareValue;
  readonly start: number;
  readonly end: number;
}

/** Builds the error the caller's grammar reports (`invalidFilter` for filters, `invalidPath` for PATCH paths). */
export type Fail = (detail: string) => ScimError;

const PUNCTUATION: ReadonlyMap<string, TokenKind> = new Map<string, TokenKind>([
  ['(', 'lparen'],
  [')', 'rparen'],
  ['[', 'lbracket'],
  [']', 'rbracket'],
]);

/** RFC 8259 §6. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

const ESCAPES: ReadonlyMap<string, string> = new Map([
  ['"', '"'],
  ['\\', '\\'],
  ['/', '/'],
  ['b', '\b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
]);

function isWhitespace(char: string | undefined): boolean {
  return char === ' ' || char === '\t' || char === '\n' || char === '\r';
}

/** Ends a word: whitespace, a bracket, a parenthesis or a quote. */
function endsWord(char: string): boolean {
  return isWhitespace(char) || PUNCTUATION.has(char) || char === '"';
}

/**
 * Quote marks other than JSON's `"`. RFC 7644 §3.4.2.2 values are JSON strings; a value that starts
 * with one of these is a string quoted the wrong way (`userName eq 'jdoe'`), never a bare word.
 */
const FOREIGN_QUOTES: ReadonlyMap<string, { readonly name: string; readonly closing: string }> = new Map([
  ["'", { name: 'single quotes', closing: "'" }],
  ['`', { name: 'backticks', closing: '`' }],
  ['\u2018', { name: 'typographic quotes', closing: '\u2019' }],
  ['\u2019', { name: 'typographic quotes', closing: '\u2019' }],
  ['\u201C', { name: 'typographic quotes', closing: '\u201D' }],
  ['\u201D', { name: 'typographic quotes', closing: '\u201D' }],
]);

/** Ends an unquoted value: whitespace, `)` or `]`. */
function endsBareValue(char: string): boolean {
  return isWhitespace(char) || char === ')' || char === ']';
}

/**
 * The tokens of RFC 7644 §3.4.2.2 filters and §3.5.2 paths. Attribute paths, keywords and operators
 * are all words (runs of anything but whitespace, brackets, parentheses and quotes); a comparison
 * value is read in its own mode, because an unquoted value may hold characters a word may not.
 */
export class FilterLexer {
  private position = 0;

  constructor(
    readonly text: string,
    private readonly fail: Fail,
  ) {}

  peek(): Token {
    return this.scan(this.position);
  }

  /** The token after the next one. */
  peekSecond(): Token {
    return this.scan(this.peek().end);
  }

  next(): Token {
    const token = this.peek();
    this.position = token.end;
    return token;
  }

  /**
   * RFC 7644 §3.4.2.2 `compValue`, or an unquoted value kept as a string (Entra: `externalId eq abc`).
   * @throws the caller's error for a missing value, one in quotes other than JSON's double quotes, or
   * a string holding U+0000 or an unpaired surrogate (written `\u0000`, `\ud800`): Postgres stores
   * neither, so no stored value could match it, and a PATCH that creates a value from the filter's
   * equalities (`emails[type eq "\ud800"].value`) could not append it.
   */
  nextValue(operator: Token): ValueToken {
    const token = this.readValue(operator);
    if (typeof token.value === 'string' && !isStorable(token.value)) {
      throw this.fail(
        `the value at offset ${token.start} holds U+0000 or an unpaired UTF-16 surrogate, which no attribute can store`,
      );
    }
    return token;
  }

  private readValue(operator: Token): ValueToken {
    const start = this.skipWhitespace(this.position);
    const first = this.text[start];
    if (first === undefined || first === ')' || first === ']' || first === '(' || first === '[') {
      const found = first === undefined ? 'the end' : `'${first}'`;
      throw this.fail(`expected a value after '${operator.text}' at offset ${start}, found ${found}`);
    }
    if (first === '"') {
      const { value, end } = this.readString(start);
      this.position = end;
      return { value, start, end };
    }
    const foreignQuote = FOREIGN_QUOTES.get(first);
    if (foreignQuote !== undefined) {
      const closing = this.text.indexOf(foreignQuote.closing, start + 1);
      const instead = closing < 0 ? 'in double quotes' : `as ${JSON.stringify(this.text.slice(start + 1, closing))}`;
      throw this.fail(
        `the value at offset ${start} is in ${foreignQuote.name} (${first}); RFC 7644 §3.4.2.2 values are JSON strings in double quotes: write it ${instead}`,
      );
    }
    let end = start;
    while (end < this.text.length && !endsBareValue(this.text[end] as string)) end += 1;
    this.position = end;
    return { value: this.bareValue(this.text.slice(start, end), start), start, end };
  }

  private bareValue(raw: string, start: number): CompareValue {
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    if (raw === 'null') return null;
    if (JSON_NUMBER.test(raw)) {
      const number = Number(raw);
      if (!Number.isFinite(number)) throw this.fail(`number ${raw} at offset ${start} is out of range`);
      return number;
    }
    return raw;
  }

  private scan(from: number): Token {
    const start = this.skipWhitespace(from);
    const char = this.text[start];
    if (char === undefined) return { kind: 'end', text: '', start, end: start };
    const punctuation = PUNCTUATION.get(char);
    if (punctuation !== undefined) return { kind: punctuation, text: char, start, end: start + 1 };
    if (char === '"') {
      const { end } = this.readString(start);
      return { kind: 'string', text: this.text.slice(start, end), start, end };
    }
    let end = start;
    while (end < this.text.length && !endsWord(this.text[end] as string)) end += 1;
    return { kind: 'word', text: this.text.slice(start, end), start, end };
  }

  private skipWhitespace(from: number): number {
    let position = from;
    while (isWhitespace(this.text[position])) position += 1;
    return position;
  }

  /** RFC 8259 §7: a JSON string starting at the quote at `start`. */
  private readString(start: number): { value: string; end: number } {
    let value = '';
    let position = start + 1;
    for (;;) {
      const char = this.text[position];
      if (char === undefined) throw this.fail(`unterminated string starting at offset ${start}`);
      if (char === '"') return { value, end: position + 1 };
      if (char === '\\') {
        const escape = this.text[position + 1];
        if (escape === undefined) throw this.fail(`unterminated string starting at offset ${start}`);
        if (escape === 'u') {
          const hex = this.text.slice(position + 2, position + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.fail(`invalid unicode escape at offset ${position}`);
          value += String.fromCharCode(parseInt(hex, 16));
          position += 6;
          continue;
        }
        const decoded = ESCAPES.get(escape);
        if (decoded === undefined) throw this.fail(`invalid escape '\\${escape}' at offset ${position}`);
        value += decoded;
        position += 2;
        continue;
      }
      if (char < ' ') {
        const code = char.charCodeAt(0).toString(16).padStart(4, '0');
        throw this.fail(`unescaped control character U+${code} in string at offset ${position}`);
      }
      value += char;
      position += 1;
    }
  }
}
