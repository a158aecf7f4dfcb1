import { randomUUID } from 'node:crypto';
import { handleCommand, type CommandDependencies } from '../../shared/commands/handle-command';
import { accountDecider, accountKeys, accountStreamId } from '../../shared/domain/accounts/account';
import type { Actor } from '../../shared/domain/metadata';
import { UniqueKeyTakenError } from '../../shared/uniqueness/unique-key-table';
import type { AccountRecord } from './account-file';

export interface ImportOutcome {
  readonly registered: { email: string; accountId: string }[];
  readonly alreadyRegistered: string[];
}


/** Registers each account once: an email already registered is reported and left as it is. */
export async function importAccounts(deps: CommandDependencies, records: readonly AccountRecord[], actor: Actor, now: () => Date): Promise<ImportOutcome> {
  const outcome: ImportOutcome = { registered: [], alreadyRegistered: [] };
  const requestId = randomUUID();
  for (const { email, username, displayName } of records) {
    const accountId = randomUUID();
    try {
      await handleCommand(
        deps,
        accountStreamId(accountId),
        accountDecider,
        {
          type: 'RegisterAccount',
          data: { accountId, email, username, ...(displayName ? { displayName } : {}) },
          context: { commandId: randomUUID(), requestId, correlationId: requestId, actor, source: {}, now: now().toISOString() },
        },
        { keysOf: accountKeys, owner: { stream: accountStreamId(accountId), id: accountId } },
      );
      outcome.registered.push({ email, accountId });
    } catch (error) {
      if (error instanceof UniqueKeyTakenError) outcome.alreadyRegistered.push(email);
      else throw error;
    }
  }
  return outcome;
}
