/**
 * Headers every message carries, prefixed. The trace context travels beside them under the propagator's own
 * names (`traceparent`, …), written and read by OpenTelemetry's propagator, never by hand.
 */
const headerNames = {
  messageId: 'outflow-message-id',
  attempt: 'outflow-attempt',
  producedAt: 'outflow-produced-at',
} as const;

export interface MessageHeaders {
  /** Unique per logical message; a redelivered or republished copy keeps it, so consumers can de-duplicate. */
  messageId: string;
  /** How many times this logical message was produced (1 first, +1 on each republish/replay). */
  attempt: number;
  /** Epoch milliseconds when this copy was produced. */
  producedAt: number;
}

export class InvalidHeadersError extends Error {
  override readonly name = 'InvalidHeadersError';
}

type RawHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** A header's value as text (the first, when it was sent more than once); undefined when absent. */
export function headerText(raw: RawHeaders, name: string): string | undefined {
  const value = raw[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

export function encodeHeaders(headers: MessageHeaders): Record<string, string> {
  return {
    [headerNames.messageId]: headers.messageId,
    [headerNames.attempt]: String(headers.attempt),
    [headerNames.producedAt]: String(headers.producedAt),
  };
}

/** Reads and validates the headers; throws InvalidHeadersError naming what is missing or malformed. */
export function decodeHeaders(raw: RawHeaders | undefined): MessageHeaders {
  const source = raw ?? {};
  const messageId = headerText(source, headerNames.messageId);
  if (!messageId) throw new InvalidHeadersError(`header ${headerNames.messageId} is missing`);
  const attempt = Number(headerText(source, headerNames.attempt) ?? '1');
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new InvalidHeadersError(`header ${headerNames.attempt} must be a whole number >= 1`);
  }
  const producedAt = Number(headerText(source, headerNames.producedAt) ?? '0');
  if (!Number.isFinite(producedAt)) throw new InvalidHeadersError(`header ${headerNames.producedAt} must be a number`);
  return { messageId, attempt, producedAt };
}

/** Every header as text, for dead letters and logs. */
export function headersAsText(raw: RawHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (value === undefined) continue;
    result[name] = Array.isArray(value) ? value.map((item) => item.toString()).join(',') : value.toString();
  }
  return result;
}
