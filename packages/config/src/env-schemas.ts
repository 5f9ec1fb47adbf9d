import { z } from 'zod';

/** A PostgreSQL connection URL (postgres:// or postgresql://) with a host and a database name. */
export const databaseUrl = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a URL like postgres://user:password@host:5432/db' });
    return;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    ctx.addIssue({ code: 'custom', message: `must use postgres:// or postgresql://, not ${url.protocol}//` });
  } else if (!url.hostname) {
    ctx.addIssue({ code: 'custom', message: 'must name a host' });
  } else if (url.pathname.length <= 1) {
    ctx.addIssue({ code: 'custom', message: 'must name a database (postgres://host:5432/<database>)' });
  }
});

const brokerPattern = /^(?<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(?<port>\d{1,5})$/;

/** A comma-separated list of Kafka bootstrap brokers, each host:port. */
export const kafkaBrokers = z.string().transform((value, ctx) => {
  const brokers = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (brokers.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must list at least one broker as host:port' });
    return z.NEVER;
  }
  for (const broker of brokers) {
    const port = Number(brokerPattern.exec(broker)?.groups?.['port']);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      ctx.addIssue({ code: 'custom', message: `"${broker}" is not host:port (e.g. localhost:9092)` });
      return z.NEVER;
    }
  }
  return brokers;
});

/** An http(s) URL such as a schema registry's. */
export const httpUrl = z.string().superRefine((value, ctx) => {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
    }
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
  }
});

/** A TCP port; 0 asks the OS for a free one. */
export const port = z.coerce
  .number({ message: 'must be a port number' })
  .int('must be a whole number')
  .min(0, 'must be between 0 and 65535')
  .max(65535, 'must be between 0 and 65535');

export const positiveInt = z.coerce
  .number({ message: 'must be a number' })
  .int('must be a whole number')
  .positive('must be greater than 0');

/** true/false, 1/0, yes/no (case-insensitive). */
export const envBoolean = z.string().transform((value, ctx) => {
  const normalized = value.toLowerCase();
  if (['true', '1', 'yes'].includes(normalized)) return true;
  if (['false', '0', 'no'].includes(normalized)) return false;
  ctx.addIssue({ code: 'custom', message: 'must be true or false' });
  return z.NEVER;
});

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * Crash points switched on for the fault-injection suite: `name` or `name=probability` (0 to 1, default 1), comma
 * separated. Empty (the default everywhere but the suite) switches every point off.
 */
export const failpointList = z
  .string()
  .default('')
  .transform((value, ctx) => {
    const points = new Map<string, number>();
    for (const entry of value.split(',').map((part) => part.trim())) {
      if (!entry) continue;
      const match = /^(?<name>[a-z0-9.-]+)(?:=(?<probability>[0-9.]+))?$/.exec(entry);
      const probability = match?.groups?.['probability'] === undefined ? 1 : Number(match.groups['probability']);
      if (!match?.groups?.['name'] || !(probability >= 0 && probability <= 1)) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not name or name=probability (0 to 1)` });
        return z.NEVER;
      }
      points.set(match.groups['name'], probability);
    }
    return points;
  });
