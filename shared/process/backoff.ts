/** Exponential, with equal jitter: between half and all of min(maxMs, initialMs * 2^attempt). */
export function backoff({ initialMs, maxMs }: { initialMs: number; maxMs: number }, attempt: number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}
