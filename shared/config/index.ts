import type { z } from 'zod';
import { configSchema, type Config } from './schema';

export type { Config } from './schema';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once; every problem names the variable it is about. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return parseEnvironment(configSchema, env);
}

/** The environment by `schema` (a process's own selection of the settings). @throws ConfigError naming each bad variable. */
export function parseEnvironment<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    // A list variable reports the failing item's index as a second path element.
    const variable = issue.path[0] === undefined ? '(environment)' : String(issue.path[0]);
    const item = issue.path.length > 1 ? ` (item ${issue.path.slice(1).join('.')})` : '';
    return `${variable}: ${issue.message}${item}`;
  });
  throw new ConfigError(problems);
}
