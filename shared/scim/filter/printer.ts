import type { AttrPath, CompareValue, FilterAst } from './ast';

/**
 * Canonical filter text: lower-case operators, quoted strings, parentheses only where precedence
 * needs them, `not (...)` always parenthesised. `parseFilter(printFilter(ast))` equals `ast`.
 */
export function printFilter(ast: FilterAst): string {
  switch (ast.kind) {
    case 'compare':
      return `${printAttrPath(ast.path)} ${ast.op} ${printValue(ast.value)}`;
    case 'present':
      return `${printAttrPath(ast.path)} pr`;
    case 'and':
      // Both operators are left-associative: a right operand of the same precedence needs parentheses.
      return `${operand(ast.left, ast.left.kind === 'or')} and ${operand(ast.right, ast.right.kind === 'or' || ast.right.kind === 'and')}`;
    case 'or':
      return `${printFilter(ast.left)} or ${operand(ast.right, ast.right.kind === 'or')}`;
    case 'not':
      return `not (${printFilter(ast.filter)})`;
    case 'valuePath':
      return `${printAttrPath(ast.path)}[${printFilter(ast.filter)}]`;
    default: {
      const _never: never = ast;
      return _never;
    }
  }
}

export function printAttrPath(path: AttrPath): string {
  const name = path.subAttribute === undefined ? path.attribute : `${path.attribute}.${path.subAttribute}`;
  return path.schema === undefined ? name : `${path.schema}:${name}`;
}

/** RFC 8259 text for a comparison value. */
export function printValue(value: CompareValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' && Object.is(value, -0)) return '-0';
  return String(value);
}

function operand(filter: FilterAst, parenthesise: boolean): string {
  return parenthesise ? `(${printFilter(filter)})` : printFilter(filter);
}
