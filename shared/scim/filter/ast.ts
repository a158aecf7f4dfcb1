/** RFC 7644 §3.4.2.2 `attrPath`: `[URI ":"] ATTRNAME ["." subAttr]`, names as written. */
export interface AttrPath {
  readonly schema?: string;
  readonly attribute: string;
  readonly subAttribute?: string;
}

export type CompareOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

export const COMPARE_OPERATORS: readonly CompareOperator[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];

/** RFC 7644 §3.4.2.2 `compValue`: a JSON false, null, true, number or string. */
export type CompareValue = string | number | boolean | null;

export interface CompareFilter {
  readonly kind: 'compare';
  readonly path: AttrPath;
  readonly op: CompareOperator;
  readonly value: CompareValue;
}

export interface PresentFilter {
  readonly kind: 'present';
  readonly path: AttrPath;
}

export interface AndFilter {
  readonly kind: 'and';
  readonly left: FilterAst;
  readonly right: FilterAst;
}

export interface OrFilter {
  readonly kind: 'or';
  readonly left: FilterAst;
  readonly right: FilterAst;
}

export interface NotFilter {
  readonly kind: 'not';
  readonly filter: FilterAst;
}

/** `emails[type eq "work"]`: `path` is the multi-valued attribute, `filter`'s paths are its sub-attributes. */
export interface ValuePathFilter {
  readonly kind: 'valuePath';
  readonly path: AttrPath;
  readonly filter: FilterAst;
}

export type FilterAst = CompareFilter | PresentFilter | AndFilter | OrFilter | NotFilter | ValuePathFilter;
