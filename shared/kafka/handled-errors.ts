/**
 * Messages of the Kafka protocol errors kafkajs handles itself, from kafkajs' own error table
 * (kafkajs 2.2.4, `src/protocol/error.js`, which has no public export): the ones it marks
 * retriable (it retries the request), and REBALANCE_IN_PROGRESS / MEMBER_ID_REQUIRED (its consumer
 * rejoins the group). kafkajs logs a failed response with the error's message only, so the
 * message is what identifies it.
 */
export function kafkajsHandledErrorMessages(): ReadonlySet<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs has no public export of its error table
  const { errorCodes } = require('kafkajs/src/protocol/error') as { errorCodes: readonly { type: string; message: string; retriable: boolean }[] };
  const rejoin = new Set(['REBALANCE_IN_PROGRESS', 'MEMBER_ID_REQUIRED']);
  return new Set(errorCodes.filter((e) => e.retriable || rejoin.has(e.type)).map((e) => e.message));
}
