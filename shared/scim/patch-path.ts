import { scimErrors } from './errors';
import type { FilterAst } from './filter/ast';
import type { Fail } from './filter/lexer';
import { DEFAULT_FILTER_LIMITS, FilterParser, type FilterLimits } from './filter/parser';

/**
 * RFC 7644 §3.5.2 `PATH = attrPath / valuePath [subAttr]`, names as written:
 * `name.givenName` has `subAttribute`; `emails[type eq "work"].value` has `filter` (whose paths are
 * sub-attributes of `emails`) and `filterSubAttribute`. `subAttribute` and `filter` never come together.
 */
export interface PatchPath {
  readonly schema?: string;
  readonly attribute: string;
  readonly subAttribute?: string;
  readonly filter?: FilterAst;
  readonly filterSubAttribute?: string;
}

/**
 * Parses a PATCH operation's `path`; the bracketed part is a filter, parsed by the filter parser.
 * @throws ScimError 400 `invalidPath` naming what is wrong and its offset.
 */
export function parsePatchPath(text: string, limits: Partial<FilterLimits> = {}): PatchPath {
  const { maxLength, maxDepth, maxClauses } = { ...DEFAULT_FILTER_LIMITS, ...limits };
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  const fail: Fail = (detail) => scimErrors.invalidPath(`invalid path '${shown}': ${detail}`);
  if (text.length > maxLength) throw fail(`longer than ${maxLength} characters`);

  const parser = new FilterParser(text, { fail, subject: 'path', maxDepth, maxClauses });
  if (parser.lexer.peek().kind === 'end') throw fail('path is empty');
  const token = parser.expect('word', 'an attribute path');
  const path = parser.attrPath(token);
  if (parser.lexer.peek().kind !== 'lbracket') {
    parser.expectEnd("'[' or the end of the path");
    return path;
  }
  if (path.subAttribute !== undefined) {
    throw fail(`a value filter must follow an attribute, not a sub-attribute: '${token.text}' at offset ${token.start}`);
  }
  const { filter, closing } = parser.parseBracketedFilter();
  const subAttribute = parser.trailingSubAttribute(closing);
  parser.expectEnd(subAttribute === undefined ? "'.' and a sub-attribute, or the end of the path" : 'the end of the path');
  return subAttribute === undefined ? { ...path, filter } : { ...path, filter, filterSubAttribute: subAttribute.name };
}
