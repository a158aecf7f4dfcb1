import type { StreamChangeFeed } from '../commands/stream-change-feed';
import type { Pool } from '../db/pool';
import { caseFold } from './keys';
import { findLinkableAccount } from './directory';

/** How long after an account stream changed the emails are read again (meanwhile Postgres answers). */
const RELOAD_AFTER_MS = 1_000;

/**
 * Which registered platform accounts a new SCIM user's email could link to, without a query per
 * provisioning: the emails of every registered account (scope `account.email`), kept in memory
 * while the change feed hears every append. An email no account has needs no query at all; one
 * that an account has is looked up as findLinkableAccount does (is it still unlinked?). While the
 * feed is down, or for a moment after an account stream changed (imports come in bursts), every
 * lookup asks Postgres.
 */
export class LinkableAccounts {
  private emails: Set<string> | undefined;
  private trusted = false;
  private dirtySince: number | undefined = 0;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly pool: Pool,
    changes?: StreamChangeFeed,
  ) {
    changes?.observe({
      changed: (streamId) => {
        if (streamId.startsWith('account-')) this.dirtySince = Date.now();
      },
      pause: () => {
        this.trusted = false;
        this.emails = undefined;
      },
      resume: () => {
        this.trusted = true;
        this.dirtySince = 0;
      },
    });
  }

  /** The id of an unlinked registered account with this email (case-insensitive), if any. */
  async find(email: string): Promise<string | undefined> {
    const known = await this.knownEmails();
    if (known && !known.has(caseFold(email))) return undefined;
    return findLinkableAccount(this.pool, email);
  }

  private async knownEmails(): Promise<Set<string> | undefined> {
    if (!this.trusted) return undefined;
    if (this.dirtySince !== undefined) {
      if (Date.now() - this.dirtySince < RELOAD_AFTER_MS && this.emails !== undefined) return undefined;
      this.loading ??= this.load().finally(() => (this.loading = undefined));
      await this.loading;
    }
    return this.emails;
  }

  private async load(): Promise<void> {
    const startedDirty = this.dirtySince;
    const { rows } = await this.pool.query<{ key: string }>(`SELECT key FROM unique_keys WHERE scope = 'account.email'`);
    // A change while loading may be missing from what was read: stay dirty for another round.
    if (this.dirtySince === startedDirty) this.dirtySince = undefined;
    this.emails = new Set(rows.map((r) => r.key));
  }
}
