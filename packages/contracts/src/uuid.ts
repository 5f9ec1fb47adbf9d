/** A UUID as text (any version, either case): what PostgreSQL's uuid columns and our Avro `uuid` fields hold. */
export const uuidText = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

const uuidPattern = new RegExp(`^${uuidText}$`, 'i');

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && uuidPattern.test(value);
}
