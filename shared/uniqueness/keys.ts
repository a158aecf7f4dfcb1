/** A value that at most one owner may hold within its scope. */
export interface UniqueKey {
  readonly scope: UniqueScope;
  /** Normalised for comparison (NFC; case-folded by {@link caseFold} where the attribute is case-insensitive). */
  readonly key: string;
  /** As the client sent it. */
  readonly value: string;
}

/**
 * The sets a key is unique within. `externalId` is in none: the platform documents no such rule,
 * RFC 7643 §3.1 sets none, and IdPs reuse it (Okta re-creates a renamed user with the same one).
 */
export type UniqueScope =
  | 'user.userName'
  /** A SCIM user's primary email: the platform's user email "must be unique across the instance". */
  | 'user.email'
  | 'group.displayName'
  | 'account.email'
  | 'account.link'
  | 'team.name'
  /** key: the team id; value: the SCIM group it links to (so a group's teams can be found and counted). */
  | 'team.link'
  /** key: the HMAC of a SCIM token's value, so a seeded token is created once. */
  | 'scim-token.hmac';

const CASE_INSENSITIVE: ReadonlySet<UniqueScope> = new Set(['user.userName', 'user.email', 'group.displayName', 'account.email', 'team.name']);

/**
 * The case-insensitive form of `text` that keys compare by: NFC, lower case, and the Greek final
 * sigma `ς` (U+03C2) as `σ` (U+03C3). `toLowerCase` maps `Σ` to `ς` or `σ` by its position in
 * the word, so "ΣΑΣ" and "σας" would otherwise make different keys; Unicode's case folding
 * (CaseFolding.txt, status C) maps `ς` to `σ` for the same reason. Migration
 * 1764332700000_unique-keys-final-sigma.sql brought keys stored before this rule in line.
 */
export function caseFold(text: string): string {
  return text.normalize('NFC').toLowerCase().replaceAll('\u03c2', '\u03c3');
}

/** The key of `value` in `scope`: {@link caseFold} where the attribute is case-insensitive, else NFC. */
export function uniqueKey(scope: UniqueScope, value: string): UniqueKey {
  return { scope, key: CASE_INSENSITIVE.has(scope) ? caseFold(value) : value.normalize('NFC'), value };
}

export interface KeyOwner {
  /** The stream whose state holds the keys, e.g. `user-<uuid>`. */
  readonly stream: string;
  /** The aggregate id, e.g. the user's id. */
  readonly id: string;
}

export interface KeyChange {
  readonly owner: KeyOwner;
  readonly claim: readonly UniqueKey[];
  readonly release: readonly UniqueKey[];
}

const same = (a: UniqueKey, b: UniqueKey) => a.scope === b.scope && a.key === b.key;

/** What an owner must claim and release to go from holding `before` to holding `after`. */
export function keyChange(owner: KeyOwner, before: readonly UniqueKey[], after: readonly UniqueKey[]): KeyChange {
  return {
    owner,
    // A value whose case changed keeps its key but must store the new value: claim it again.
    claim: after.filter((k) => !before.some((b) => same(b, k) && b.value === k.value)),
    release: before.filter((k) => !after.some((a) => same(a, k))),
  };
}

export function isEmptyChange(change: KeyChange): boolean {
  return change.claim.length === 0 && change.release.length === 0;
}

const SCOPE_NAMES: Record<UniqueScope, string> = {
  'user.userName': 'userName',
  'user.email': 'email',
  'group.displayName': 'displayName',
  'account.email': 'email',
  'account.link': 'account link',
  'team.name': 'team name',
  'team.link': 'team link',
  'scim-token.hmac': 'token',
};

const SCOPE_ORDER = Object.keys(SCOPE_NAMES);

/** Which of several taken keys an error names first: the order of SCOPE_NAMES (userName before email). */
export function keyPrecedence(key: UniqueKey): number {
  return SCOPE_ORDER.indexOf(key.scope);
}

export function describeKey(key: UniqueKey): string {
  return `${SCOPE_NAMES[key.scope]} ${JSON.stringify(key.value)}`;
}
