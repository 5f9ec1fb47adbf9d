import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.js';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Parses `env` with a schema whose keys are environment variable names. Empty strings count as unset, so
 * `FOO=` falls back to the default instead of failing on an empty value. Throws ConfigError naming each
 * variable at fault; values are never echoed because some of them are secrets.
 */
export function parseEnv<Shape extends z.ZodRawShape>(
  shape: Shape,
  env: Env = process.env,
): z.infer<z.ZodObject<Shape>> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) {
    const value = env[key];
    input[key] = value === undefined || value.trim() === '' ? undefined : value.trim();
  }
  const result = z.object(shape).safeParse(input);
  if (result.success) return result.data;
  const issues: ConfigIssue[] = result.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? '(unknown)');
    return {
      variable,
      message: input[variable] === undefined ? 'is required but not set' : issue.message,
    };
  });
  throw new ConfigError(issues);
}
