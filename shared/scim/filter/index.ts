export * from './ast';
export { DEFAULT_FILTER_LIMITS, parseFilter } from './parser';
export type { FilterLimits } from './parser';
export { printAttrPath, printFilter, printValue } from './printer';
export { resolveFilter } from './resolve';
export type {
  ResolvedAndFilter,
  ResolvedAttribute,
  ResolvedCompareFilter,
  ResolvedFilter,
  ResolvedNotFilter,
  ResolvedOrFilter,
  ResolvedPresentFilter,
  ResolvedValuePathFilter,
} from './resolve';
