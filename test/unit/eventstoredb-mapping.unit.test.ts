import { CancelledError, DeadlineExceededError, NotLeaderError, StreamNotFoundError, TimeoutError, UnavailableError, UnknownError, WrongExpectedVersionError } from '@eventstore/db-client';
import { DuplicateEventIdError, InvalidAppendError, WrongExpectedRevisionError } from '../../shared/eventstore/port';
import {
  EventDecodingError,
  checkEventIds,
  isStreamNotFound,
  isSystemEvent,
  recordPosition,
  satisfiesExpectedRevision,
  subscriptionFilter,
  toActualRevision,
  toAppendError,
  toClientExpectedRevision,
  toEventData,
  toReadPosition,
  toRecordedEvent,
  type ClientResolvedEvent,
} from '../../shared/eventstore/eventstoredb/mapping';

describe('eventstoredb mapping', () => {
  describe('when appending', () => {
    it('maps every expected revision onto the client constants', () => {
      expect(toClientExpectedRevision('no_stream')).toBe('no_stream');
      expect(toClientExpectedRevision('stream_exists')).toBe('stream_exists');
      expect(toClientExpectedRevision('any')).toBe('any');
      expect(toClientExpectedRevision(0n)).toBe(0n);
      expect(toClientExpectedRevision(41n)).toBe(41n);
    });

    it('rejects a negative expected revision', () => {
      expect(() => toClientExpectedRevision(-1n)).toThrow(RangeError);
    });

    it('writes the event as JSON with the writer-chosen id', () => {
      expect(toEventData(eventToAppend)).toEqual({
        id: eventToAppend.id,
        contentType: 'application/json',
        type: 'UserProvisioned',
        data: eventToAppend.data,
        metadata: eventToAppend.metadata,
      });
    });
  });

  describe('when the server reports a revision conflict', () => {
    it('reports the current revision of an existing stream', () => {
      const clientError = new WrongExpectedVersionError(undefined, { streamName: 'user-1', expected: 2n, current: 5n });

      const error = toAppendError(clientError, 'user-1', 2n, [eventToAppend]);

      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      expect(error).toMatchObject({ streamId: 'user-1', expected: 2n, actual: 5n });
      expect(error?.message).toBe('stream user-1: expected revision 2, actual 5');
    });

    it("reports 'no_stream' when the stream does not exist", () => {
      const clientError = new WrongExpectedVersionError(undefined, {
        streamName: 'user-1',
        expected: 'stream_exists',
        current: 'no_stream',
      });

      expect(toAppendError(clientError, 'user-1', 'stream_exists', [eventToAppend])).toMatchObject({
        expected: 'stream_exists',
        actual: 'no_stream',
      });
    });

    it("reads revision -1 (the server's no-stream number) as 'no_stream'", () => {
      const clientError = new WrongExpectedVersionError(undefined, { streamName: 'user-1', expected: 0n, current: -1n });

      expect(toAppendError(clientError, 'user-1', 0n, [eventToAppend])).toMatchObject({ actual: 'no_stream' });
      expect(toActualRevision(-1n)).toBe('no_stream');
      expect(toActualRevision('no_stream')).toBe('no_stream');
      expect(toActualRevision(0n)).toBe(0n);
    });

    it.each([
      ['any', 4n],
      ['stream_exists', 4n],
    ] as const)(
      'reads a conflict under %s (the server found the first event already recorded, the rest not) as a re-used event id',
      (expected, current) => {
        const clientError = new WrongExpectedVersionError(undefined, { streamName: 'user-1', expected, current });

        const error = toAppendError(clientError, 'user-1', expected, [eventToAppend, otherEvent]);

        expect(error).toBeInstanceOf(DuplicateEventIdError);
        expect(error).toMatchObject({ streamId: 'user-1', eventId: eventToAppend.id });
      },
    );

    it('leaves any other error alone', () => {
      expect(toAppendError(new UnavailableError(), 'user-1', 'any', [eventToAppend])).toBeUndefined();
      // Errors after which the append may have committed stay what they are: never a port error
      // that tells the writer nothing was written (the two-phase writer would take its claims back).
      for (const unknownOutcome of [new DeadlineExceededError(), new TimeoutError(), new CancelledError(), new UnknownError(), Object.create(NotLeaderError.prototype) as Error]) {
        expect(toAppendError(unknownOutcome, 'user-1', 0n, [eventToAppend])).toBeUndefined();
      }
      expect(toAppendError(new Error('boom'), 'user-1', 'any', [eventToAppend])).toBeUndefined();
      expect(toAppendError('boom', 'user-1', 'any', [eventToAppend])).toBeUndefined();
    });
  });

  describe('when checking a write before sending it', () => {
    it('rejects an id that is not a UUID', () => {
      expect(() => checkEventIds('user-1', [{ ...eventToAppend, id: 'event-1' }])).toThrow(
        new InvalidAppendError('user-1', 'event id "event-1" is not a UUID'),
      );
      expect(() => checkEventIds('user-1', [{ ...eventToAppend, id: 'event-1' }])).toThrow(InvalidAppendError);
    });

    it('rejects an id used twice in one write, whatever its case', () => {
      const again = { ...otherEvent, id: eventToAppend.id.toUpperCase() };

      expect(() => checkEventIds('user-1', [eventToAppend, again])).toThrow(DuplicateEventIdError);
      expect(() => checkEventIds('user-1', [eventToAppend, otherEvent])).not.toThrow();
    });

    it.each([
      ['any', 'no_stream', true],
      ['any', 3n, true],
      ['no_stream', 'no_stream', true],
      ['no_stream', 0n, false],
      ['stream_exists', 'no_stream', false],
      ['stream_exists', 0n, true],
      [2n, 2n, true],
      [2n, 3n, false],
      [0n, 'no_stream', false],
    ] as const)('expected %s against actual %s: satisfied is %s', (expected, actual, satisfied) => {
      expect(satisfiesExpectedRevision(expected, actual)).toBe(satisfied);
    });
  });

  describe('when a stream is missing', () => {
    it("recognises the client's StreamNotFoundError and nothing else", () => {
      expect(isStreamNotFound(new StreamNotFoundError(undefined, 'user-1'))).toBe(true);
      expect(isStreamNotFound(new UnavailableError())).toBe(false);
      expect(isStreamNotFound(undefined)).toBe(false);
    });
  });

  describe('when reading a recorded event', () => {
    it('maps every field, created becoming recordedAt', () => {
      expect(toRecordedEvent(jsonResolved())).toEqual({
        id: '5b3c3e8c-0d7e-4b9a-9a57-0c8f1d2a7e11',
        type: 'UserProvisioned',
        streamId: 'user-1',
        revision: 3n,
        position: { commit: 1200n, prepare: 1200n },
        data: { userName: 'ada@example.com' },
        metadata: { requestId: 'req-1' },
        recordedAt: createdAt(),
      });
    });

    it('copies the position rather than sharing the client object', () => {
      const resolved = jsonResolved();

      expect(toRecordedEvent(resolved)?.position).not.toBe(resolved.event?.position);
    });

    it('reads absent metadata (the server stores none for empty metadata) as {}', () => {
      expect(toRecordedEvent(withEvent({ metadata: undefined }))?.metadata).toEqual({});
    });

    it('accepts JSON object bytes in a binary event', () => {
      const event = toRecordedEvent(
        withEvent({ isJson: false, data: bytes('{"userName":"ada@example.com"}'), metadata: bytes('{"requestId":"req-1"}') }),
      );

      expect(event?.data).toEqual({ userName: 'ada@example.com' });
      expect(event?.metadata).toEqual({ requestId: 'req-1' });
    });

    it('fails with the stream and revision when data is not a JSON object', () => {
      expect(() => toRecordedEvent(withEvent({ isJson: false, data: bytes('not json') }))).toThrow(
        new EventDecodingError('user-1', 3n, 'data is not JSON'),
      );
      expect(() => toRecordedEvent(withEvent({ data: [1, 2] }))).toThrow('EventStoreDB event user-1@3: data is not a JSON object');
      expect(() => toRecordedEvent(withEvent({ data: 'a string' }))).toThrow(EventDecodingError);
      expect(() => toRecordedEvent(withEvent({ isJson: false, data: new Uint8Array() }))).toThrow(EventDecodingError);
    });

    it('fails when the server sent no position (stream reads before EventStoreDB 22.6)', () => {
      expect(() => toRecordedEvent(withEvent({ position: undefined }))).toThrow(/no \$all position/);
    });
  });

  describe('when a record is not an event of the service', () => {
    it.each([
      ['a system stream', withEvent({ streamId: '$stats-127.0.0.1:2113', type: 'statsCollected' })],
      ['a metadata stream', withEvent({ streamId: '$$user-1', type: '$metadata' })],
      ['a system event type in a user stream', withEvent({ type: '$>' })],
      ['a resolved link', { ...jsonResolved(), link: jsonResolved().event }],
      ['an entry without an event', {}],
    ])('skips %s', (_name, resolved: ClientResolvedEvent) => {
      expect(toRecordedEvent(resolved)).toBeUndefined();
    });

    it('still knows the position of a system record, for paging', () => {
      expect(recordPosition(withEvent({ streamId: '$scavenges', type: '$scavengeStarted' }))).toEqual({
        commit: 1200n,
        prepare: 1200n,
      });
      expect(recordPosition({})).toBeUndefined();
    });

    it('tells system events by stream or type', () => {
      expect(isSystemEvent({ streamId: '$settings', type: 'Settings' })).toBe(true);
      expect(isSystemEvent({ streamId: 'user-1', type: '$metadata' })).toBe(true);
      expect(isSystemEvent({ streamId: 'user-1', type: 'UserProvisioned' })).toBe(false);
    });
  });

  describe('when choosing where to read from', () => {
    it('reads from the start without a position', () => {
      expect(toReadPosition(undefined)).toBe('start');
    });

    it('passes a position through as a copy', () => {
      const position = { commit: 10n, prepare: 9n };

      expect(toReadPosition(position)).toEqual(position);
      expect(toReadPosition(position)).not.toBe(position);
    });
  });

  describe('when building the subscription filter', () => {
    const checkpointReached = () => undefined;

    it('filters by stream name prefix when prefixes are given', () => {
      const prefixes = ['user-', 'group-'];

      const filter = subscriptionFilter(prefixes, checkpointReached);

      expect(filter).toEqual({ filterOn: 'streamName', prefixes, checkpointInterval: 1, checkpointReached });
      expect('prefixes' in filter && filter.prefixes).not.toBe(prefixes);
    });

    it('excludes system event types otherwise', () => {
      for (const prefixes of [undefined, []]) {
        expect(subscriptionFilter(prefixes, checkpointReached, 4)).toEqual({
          filterOn: 'eventType',
          regex: '^[^$].*',
          checkpointInterval: 4,
          checkpointReached,
        });
      }
    });
  });
});

const eventToAppend = {
  id: '5b3c3e8c-0d7e-4b9a-9a57-0c8f1d2a7e11',
  type: 'UserProvisioned',
  data: { userName: 'ada@example.com' },
  metadata: { requestId: 'req-1' },
};

const otherEvent = {
  id: '0d1f5a47-3c1e-4e2b-8f4e-2d8f9b6a1c22',
  type: 'UserAttributesChanged',
  data: { displayName: 'Ada' },
  metadata: { requestId: 'req-2' },
};

/** Shaped like the client's AllStreamResolvedEvent for a JSON event. */
function jsonResolved(): ClientResolvedEvent {
  return {
    event: {
      id: '5b3c3e8c-0d7e-4b9a-9a57-0c8f1d2a7e11',
      streamId: 'user-1',
      type: 'UserProvisioned',
      revision: 3n,
      isJson: true,
      data: { userName: 'ada@example.com' },
      metadata: { requestId: 'req-1' },
      created: createdAt(),
      position: { commit: 1200n, prepare: 1200n },
    },
  };
}

function createdAt(): Date {
  return new Date('2025-03-01T10:00:00.000Z');
}

function withEvent(changes: Partial<NonNullable<ClientResolvedEvent['event']>>): ClientResolvedEvent {
  return { event: { ...jsonResolved().event!, ...changes } };
}

function bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}
