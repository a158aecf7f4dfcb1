type Stop = () => Promise<unknown>;

export default async function globalTeardown(): Promise<void> {
  const stops = (globalThis as { __testServiceStops?: Stop[] }).__testServiceStops ?? [];
  await Promise.all(stops.map((stop) => stop()));
}
