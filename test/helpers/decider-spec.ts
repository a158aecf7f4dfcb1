import type { Decider } from '../../shared/commands/handle-command';
import type { CommandContext, EventMetadata } from '../../shared/domain/metadata';
import { ScimError } from '../../shared/scim/errors';

export const context: CommandContext = {
  commandId: 'command-1',
  requestId: 'request-1',
  correlationId: 'correlation-1',
  actor: { kind: 'scim-token', id: 'token-1' },
  source: { ip: '127.0.0.1', userAgent: 'jest' },
  now: '2026-11-28T12:00:00.000Z',
};

export const metadata: EventMetadata = {
  requestId: 'request-1',
  correlationId: 'correlation-1',
  causationId: 'command-1',
  actor: { kind: 'scim-token', id: 'token-1' },
  source: { ip: '127.0.0.1', userAgent: 'jest' },
  occurredAt: '2026-11-28T12:00:00.000Z',
  schemaVersion: 1,
};

/** given(events).when(command).then(events) | .thenThrows(status, scimType, detail) */
export function specification<S, C, E>(decider: Decider<S, C, E>) {
  return (given: readonly E[]) => ({
    when: (command: C) => {
      const run = () => decider.decide(command, given.reduce(decider.evolve, decider.initialState));
      return {
        then: (expected: readonly E[]) => expect(run()).toEqual(expected),
        thenNothing: () => expect(run()).toEqual([]),
        thenThrows: (status: number, scimType: string | undefined, detail: RegExp) => {
          let thrown: unknown;
          try {
            run();
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(ScimError);
          expect((thrown as ScimError).status).toBe(status);
          expect((thrown as ScimError).scimType).toBe(scimType);
          expect((thrown as ScimError).detail).toMatch(detail);
        },
      };
    },
  });
}
