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
