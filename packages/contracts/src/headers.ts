/**
 * Headers every message carries. W3C trace context keeps its standard names so any OpenTelemetry propagator
 * reads it; ours are prefixed.
 */
const headerNames = {
  messageId: 'outflow-message-id',
  attempt: 'outflow-attempt',
  producedAt: 'outflow-produced-at',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

export interface MessageHeaders {
  /** Unique per logical message; a redelivered or republished copy keeps it, so consumers can de-duplicate. */
  messageId: string;
  /** How many times this logical message was produced (1 first, +1 on each republish/replay). */
  attempt: number;
  /** Epoch milliseconds when this copy was produced. */
  producedAt: number;
  traceparent?: string;
  tracestate?: string;
}

export class InvalidHeadersError extends Error {
  override readonly name = 'InvalidHeadersError';
}

type RawHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

function text(raw: RawHeaders, name: string): string | undefined {
  const value = raw[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

export function encodeHeaders(headers: MessageHeaders): Record<string, string> {
  return {
    [headerNames.messageId]: headers.messageId,
    [headerNames.attempt]: String(headers.attempt),
    [headerNames.producedAt]: String(headers.producedAt),
    ...(headers.traceparent ? { [headerNames.traceparent]: headers.traceparent } : {}),
    ...(headers.tracestate ? { [headerNames.tracestate]: headers.tracestate } : {}),
  };
}

/** Reads and validates the headers; throws InvalidHeadersError naming what is missing or malformed. */
export function decodeHeaders(raw: RawHeaders | undefined): MessageHeaders {
  const source = raw ?? {};
  const messageId = text(source, headerNames.messageId);
  if (!messageId) throw new InvalidHeadersError(`header ${headerNames.messageId} is missing`);
  const attempt = Number(text(source, headerNames.attempt) ?? '1');
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new InvalidHeadersError(`header ${headerNames.attempt} must be a whole number >= 1`);
  }
  const producedAt = Number(text(source, headerNames.producedAt) ?? '0');
  if (!Number.isFinite(producedAt)) throw new InvalidHeadersError(`header ${headerNames.producedAt} must be a number`);
  const traceparent = text(source, headerNames.traceparent);
  const tracestate = text(source, headerNames.tracestate);
  return {
    messageId,
    attempt,
    producedAt,
    ...(traceparent ? { traceparent } : {}),
    ...(tracestate ? { tracestate } : {}),
  };
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
