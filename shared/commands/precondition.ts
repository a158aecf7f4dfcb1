/**
 * The conditional-request headers of a write (RFC 7232 §3.1 If-Match, §3.2 If-None-Match) as
 * conditions on the stream revision behind the resource's weak ETag `W/"<revision>"`.
 * An absent field is no condition.
 */
export interface RevisionPrecondition {
  /** If-Match: the current revision must be one of these; `*`: the resource must exist. */
  readonly ifMatch?: readonly bigint[] | '*';
  /** If-None-Match: the current revision must be none of these; `*`: the resource must not exist. */
  readonly ifNoneMatch?: readonly bigint[] | '*';
}

/**
 * Why `precondition` does not hold for a stream at `revision` (null: no stream) whose resource
 * does or does not `exist` (a deleted resource keeps its stream); undefined when it holds.
 * RFC 7232 §3.1/§3.2: a failed condition on a method other than GET or HEAD is 412.
 */
export function failedPrecondition(precondition: RevisionPrecondition, revision: bigint | null, exists: boolean): string | undefined {
  const { ifMatch, ifNoneMatch } = precondition;
  const current = revision === null || !exists ? 'none' : String(revision);
  if (ifMatch === '*' && !exists) return 'If-Match: * names a resource that does not exist';
  if (Array.isArray(ifMatch) && !(exists && revision !== null && ifMatch.includes(revision))) {
    return `the resource has changed: If-Match names version ${ifMatch.join(', ')}, current is ${current}`;
  }
  if (ifNoneMatch === '*' && exists) return 'If-None-Match: * and the resource exists';
  if (Array.isArray(ifNoneMatch) && exists && revision !== null && ifNoneMatch.includes(revision)) {
    return `If-None-Match names the current version ${revision}`;
  }
  return undefined;
}
