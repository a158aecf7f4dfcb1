import { scimErrors, type ScimError } from '../errors';
import { COMPARE_OPERATORS, type AttrPath, type CompareOperator, type FilterAst } from './ast';
import { FilterLexer, type Fail, type Token } from './lexer';

/**
 * Bounds on a filter's size, so that no filter costs the read model more than a bounded amount of
 * work: every comparison of a list filter is evaluated against every candidate row, and a value
 * filter (`emails[...]`) once per row and value.
 */
export interface FilterLimits {
  /** Longest accepted text, in UTF-16 code units. */
  readonly maxLength: number;
  /** Deepest accepted nesting of `(`, `not (` and `[`. */
  readonly maxDepth: number;
  /**
   * Most attribute expressions (`attrPath op value` and `attrPath pr`), those inside `[...]`
   * included: `emails[type eq "work" and value co "x"]` counts two.
   */
  readonly maxClauses: number;
}

/** The defaults of SCIM_FILTER_MAX_LENGTH, SCIM_FILTER_MAX_DEPTH and SCIM_FILTER_MAX_CLAUSES. */
export const DEFAULT_FILTER_LIMITS: FilterLimits = { maxLength: 4096, maxDepth: 10, maxClauses: 20 };

/** RFC 7644 §3.4.2.2 `ATTRNAME`; `$ref` is the one name RFC 7643 gives a leading `$`. */
const ATTRIBUTE_NAME = /^\$?[A-Za-z][A-Za-z0-9_-]*$/;

/** A schema URN as SCIM uses them (`urn:ietf:params:scim:schemas:core:2.0:User`). */
const SCHEMA_URN = /^urn(?::[A-Za-z0-9._~%!$&'*+,;=@/-]+)+$/i;

/**
 * Parses an RFC 7644 §3.4.2.2 filter. Operators and keywords are case-insensitive (operators come
 * back in lower case, attribute names as written); `not` binds tighter than `and`, `and` tighter
 * than `or`, both left-associative. Beyond the RFC: unquoted values that are not `true`, `false`,
 * `null` or a number are strings (Entra: `externalId eq abc`), and `emails[type eq "work"].value eq "x"`
 * means `emails[type eq "work" and value eq "x"]`. A value in single (or typographic) quotes is
 * refused, not read as a bare word that happens to start with a quote.
 * @throws ScimError 400 `invalidFilter` naming what is wrong and its offset, also when the filter
 * passes one of `limits` (defaults {@link DEFAULT_FILTER_LIMITS}).
 */
export function parseFilter(text: string, limits: Partial<FilterLimits> = {}): FilterAst {
  const { maxLength, maxDepth, maxClauses } = { ...DEFAULT_FILTER_LIMITS, ...limits };
  const fail: Fail = scimErrors.invalidFilter;
  if (text.length > maxLength) throw fail(`filter is longer than ${maxLength} characters`);
  const parser = new FilterParser(text, { fail, subject: 'filter', maxDepth, maxClauses });
  if (parser.lexer.peek().kind === 'end') throw fail('filter is empty');
  const filter = parser.parseFilter(false);
  parser.expectEnd("'and', 'or' or the end of the filter");
  return filter;
}

interface ParserOptions {
  readonly fail: Fail;
  /** What the text is, for messages: `filter`, `path`. */
  readonly subject: string;
  readonly maxDepth: number;
  readonly maxClauses: number;
}

/** Recursive descent over RFC 7644 §3.4.2.2's grammar; also the bracket part of §3.5.2 paths. */
export class FilterParser {
  readonly lexer: FilterLexer;
  private depth = 0;
  private clauses = 0;

  constructor(
    text: string,
    private readonly options: ParserOptions,
  ) {
    this.lexer = new FilterLexer(text, options.fail);
  }

  /** `FILTER`, or `valFilter` inside brackets, where value paths cannot nest. */
  parseFilter(inValueFilter: boolean): FilterAst {
    let left = this.parseConjunction(inValueFilter);
    while (this.nextIsKeyword('or')) {
      this.lexer.next();
      left = { kind: 'or', left, right: this.parseConjunction(inValueFilter) };
    }
    return left;
  }

  /** `"[" valFilter "]"`, the opening bracket next; returns the filter and the closing bracket. */
  parseBracketedFilter(): { filter: FilterAst; closing: Token } {
    const opening = this.expect('lbracket', "'['");
    this.enter(opening);
    const filter = this.parseFilter(true);
    const closing = this.expect('rbracket', "'and', 'or' or ']'");
    this.leave();
    return { filter, closing };
  }

  /** RFC 7644 §3.4.2.2 `attrPath` from a word token. */
  attrPath(token: Token): AttrPath {
    const colon = token.text.lastIndexOf(':');
    const names = token.text.slice(colon + 1).split('.');
    const [attribute, subAttribute] = names;
    if (attribute === undefined || names.length > 2 || !names.every((name) => ATTRIBUTE_NAME.test(name))) {
      throw this.options.fail(`invalid attribute path ${quote(token.text)} at offset ${token.start}`);
    }
    if (colon < 0) return subAttribute === undefined ? { attribute } : { attribute, subAttribute };
    const schema = token.text.slice(0, colon);
    if (!SCHEMA_URN.test(schema)) {
      throw this.options.fail(`invalid schema URN ${quote(schema)} at offset ${token.start}`);
    }
    return subAttribute === undefined ? { schema, attribute } : { schema, attribute, subAttribute };
  }

  /** `"." ATTRNAME` written directly after `closing` (`emails[type eq "work"].value`), if there is one. */
  trailingSubAttribute(closing: Token): { name: string; token: Token } | undefined {
    const token = this.lexer.peek();
    if (token.kind !== 'word' || !token.text.startsWith('.')) return undefined;
    const name = token.text.slice(1);
    if (token.start !== closing.end || !ATTRIBUTE_NAME.test(name)) {
      throw this.options.fail(`invalid sub-attribute ${quote(token.text)} at offset ${token.start}`);
    }
    this.lexer.next();
    return { name, token };
  }

  expect(kind: Token['kind'], expected: string): Token {
    const token = this.lexer.next();
    if (token.kind !== kind) throw this.unexpected(token, expected);
    return token;
  }

  expectEnd(expected: string): void {
    const token = this.lexer.peek();
    if (token.kind !== 'end') throw this.unexpected(token, expected);
  }

  private parseConjunction(inValueFilter: boolean): FilterAst {
    let left = this.parseFactor(inValueFilter);
    while (this.nextIsKeyword('and')) {
      this.lexer.next();
      left = { kind: 'and', left, right: this.parseFactor(inValueFilter) };
    }
    return left;
  }

  /** `"(" FILTER ")"`, `"not" "(" FILTER ")"`, `attrExp` or `valuePath`. */
  private parseFactor(inValueFilter: boolean): FilterAst {
    const token = this.lexer.peek();
    if (token.kind === 'lparen') {
      return this.parseGroup(inValueFilter);
    }
    // `not` is a keyword only before `(`: RFC 7644's ATTRNAME allows an attribute called `not`.
    if (token.kind === 'word' && token.text.toLowerCase() === 'not' && this.lexer.peekSecond().kind === 'lparen') {
      this.lexer.next();
      return { kind: 'not', filter: this.parseGroup(inValueFilter) };
    }
    if (token.kind === 'word') return this.parseAttributeExpression(inValueFilter);
    throw this.unexpected(this.lexer.next(), "an attribute path, '(' or 'not ('");
  }

  private parseGroup(inValueFilter: boolean): FilterAst {
    const opening = this.expect('lparen', "'('");
    this.enter(opening);
    const filter = this.parseFilter(inValueFilter);
    this.expect('rparen', "'and', 'or' or ')'");
    this.leave();
    return filter;
  }

  /** `attrPath SP "pr"`, `attrPath SP compareOp SP compValue`, or `valuePath`. */
  private parseAttributeExpression(inValueFilter: boolean): FilterAst {
    const token = this.lexer.next();
    const path = this.attrPath(token);
    const following = this.lexer.peek();
    if (following.kind !== 'lbracket') return this.parseCondition(path, token);

    if (inValueFilter) throw this.options.fail(`value filters cannot be nested: '[' at offset ${following.start}`);
    if (path.subAttribute !== undefined) {
      throw this.options.fail(
        `a value filter must follow an attribute, not a sub-attribute: ${quote(token.text)} at offset ${token.start}`,
      );
    }
    const { filter, closing } = this.parseBracketedFilter();
    const subAttribute = this.trailingSubAttribute(closing);
    if (subAttribute === undefined) return { kind: 'valuePath', path, filter };
    const condition = this.parseCondition({ attribute: subAttribute.name }, subAttribute.token);
    return { kind: 'valuePath', path, filter: { kind: 'and', left: filter, right: condition } };
  }

  private parseCondition(path: AttrPath, pathToken: Token): FilterAst {
    this.countClause(pathToken);
    const token = this.lexer.next();
    const operator = token.kind === 'word' ? token.text.toLowerCase() : '';
    if (operator === 'pr') return { kind: 'present', path };
    if (isCompareOperator(operator)) {
      return { kind: 'compare', path, op: operator, value: this.lexer.nextValue(token).value };
    }
    if (pathToken.text.toLowerCase() === 'not') {
      throw this.options.fail(`'not' at offset ${pathToken.start} must be followed by a parenthesised filter: not (...)`);
    }
    throw this.unexpected(token, `an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after ${quote(pathToken.text)}`);
  }

  private nextIsKeyword(keyword: 'and' | 'or'): boolean {
    const token = this.lexer.peek();
    return token.kind === 'word' && token.text.toLowerCase() === keyword;
  }

  private enter(token: Token): void {
    this.depth += 1;
    if (this.depth > this.options.maxDepth) {
      throw this.options.fail(
        `${this.options.subject} nests deeper than ${this.options.maxDepth} levels at offset ${token.start}`,
      );
    }
  }

  private leave(): void {
    this.depth -= 1;
  }

  private countClause(token: Token): void {
    this.clauses += 1;
    if (this.clauses > this.options.maxClauses) {
      throw this.options.fail(
        `${this.options.subject} has more than ${this.options.maxClauses} attribute expressions; the one at offset ${token.start} is one too many`,
      );
    }
  }

  private unexpected(token: Token, expected: string): ScimError {
    if (token.kind === 'end') {
      return this.options.fail(`unexpected end of ${this.options.subject} at offset ${token.start}; expected ${expected}`);
    }
    return this.options.fail(`unexpected ${quote(token.text)} at offset ${token.start}; expected ${expected}`);
  }
}

function isCompareOperator(text: string): text is CompareOperator {
  return (COMPARE_OPERATORS as readonly string[]).includes(text);
}

/** Quotes text from the input for a message, cut short when long. */
function quote(text: string): string {
  return `'${text.length > 40 ? `${text.slice(0, 40)}…` : text}'`;
}
