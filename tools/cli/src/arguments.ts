import { InvalidArgumentError } from '@commander-js/extra-typings';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parsers for commander arguments and options: each returns the value or throws InvalidArgumentError (exit 2). */
export function uuidOf(what: string): (value: string) => string {
  return (value) => {
    if (!uuidPattern.test(value)) throw new InvalidArgumentError(`not ${what} (a UUID)`);
    return value.toLowerCase();
  };
}

export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < min || number > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    }
    return number;
  };
}

/** A non-empty name of at most `max` characters, trimmed. */
export function nameOf(max: number): (value: string) => string {
  return (value) => {
    const name = value.trim();
    if (name === '' || name.length > max) throw new InvalidArgumentError(`must be 1 to ${max} characters`);
    return name;
  };
}

const durationUnits: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A point in time: an ISO 8601 timestamp (`2026-12-01T09:00:00Z`; a date alone is midnight UTC), or a duration
 * back from now (`90m`, `24h`, `7d`).
 */
export function pointInTime(now: () => number = Date.now): (value: string) => Date {
  return (value) => {
    const duration = /^(\d+)([mhd])$/.exec(value);
    if (duration) return new Date(now() - Number(duration[1]) * durationUnits[duration[2]!]!);
    const time = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? Date.parse(value) : NaN;
    if (Number.isNaN(time)) {
      throw new InvalidArgumentError(
        'must be an ISO 8601 time (2026-12-01T09:00:00Z) or a duration back (90m, 24h, 7d)',
      );
    }
    return new Date(time);
  };
}

/** An age in whole days (`30d`), at least `minDays`: how far back something is kept. */
export function ageInDays(minDays: number): (value: string) => number {
  return (value) => {
    const days = /^(\d+)d$/.exec(value);
    if (!days || Number(days[1]) < minDays || Number(days[1]) > 36_500) {
      throw new InvalidArgumentError(`must be a number of days, at least ${minDays}, written like 30d`);
    }
    return Number(days[1]);
  };
}

/** A comma-separated subset of `values` (`audit,batches`). */
export function listOf<const Values extends readonly string[]>(values: Values): (value: string) => Values[number][] {
  return (value) => {
    const items = value.split(',').map((item) => item.trim());
    const unknown = items.filter((item) => !values.includes(item));
    if (unknown.length > 0 || items.length === 0) {
      throw new InvalidArgumentError(`takes some of ${values.join(', ')}, comma separated`);
    }
    return [...new Set(items)] as Values[number][];
  };
}
