/** Time arrives through this, so tests can move it and deciders never read it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
