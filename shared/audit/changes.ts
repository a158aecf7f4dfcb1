import diff from 'microdiff';

/** One difference between an aggregate's view before and after an event. */
export interface Change {
  readonly op: 'added' | 'removed' | 'changed';
  /** `userName`, `name.givenName`, `emails[0].value`, `members`. */
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

/** A view of an aggregate for people: plain JSON; the keys named as sets hold string arrays. */
export type View = Readonly<Record<string, unknown>>;

function pathText(path: readonly (string | number)[]): string {
  return path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text === '' ? part : `${text}.${part}`), '');
}

/**
 * What changed from `before` to `after`: values compared deeply (microdiff), each difference at
 * the deepest path where it happens, so a changed `name.givenName` reads as that and not as a new
 * `name`. The keys in `sets` are unordered lists of labels (a group's members): each label that
 * joined is `added`, each that left `removed`, and a change of order is none.
 */
export function changesBetween(before: View, after: View, sets: readonly string[] = []): Change[] {
  const plain = (view: View) => Object.fromEntries(Object.entries(view).filter(([key]) => !sets.includes(key)));
  const changes: Change[] = diff(plain(before), plain(after)).map((d) =>
    d.type === 'CREATE'
      ? { op: 'added', path: pathText(d.path), after: d.value }
      : d.type === 'REMOVE'
        ? { op: 'removed', path: pathText(d.path), before: d.oldValue }
        : { op: 'changed', path: pathText(d.path), before: d.oldValue, after: d.value },
  );
  for (const key of sets) {
    const had = new Set((before[key] as readonly string[] | undefined) ?? []);
    const has = new Set((after[key] as readonly string[] | undefined) ?? []);
    for (const label of has) if (!had.has(label)) changes.push({ op: 'added', path: key, after: label });
    for (const label of had) if (!has.has(label)) changes.push({ op: 'removed', path: key, before: label });
  }
  return changes;
}
