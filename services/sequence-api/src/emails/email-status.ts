import type { DeliveryStatus, EmailStatus } from '@outflow/db';

/**
 * The API's status vocabulary is the delivery status: what an email's state means to its sender. Counts, filters
 * and `delivery_status` use it; `?status=` also takes the internal statuses of the `status` field.
 */
export const deliveryStatuses = [
  'queued',
  'retrying',
  'in_progress',
  'sent',
  'failed',
  'uncertain',
  'cancelled',
  'dead_letter',
] as const satisfies readonly DeliveryStatus[];

export const emailStatuses = [
  'scheduled',
  'queued',
  'sending',
  'retry_pending',
  'sent',
  'permanent_failure',
  'uncertain',
  'cancelled',
] as const satisfies readonly EmailStatus[];

/** What `?status=` takes: every delivery status, and the internal statuses that are not also one. */
export const statusFilters = [
  ...deliveryStatuses,
  'scheduled',
  'sending',
  'retry_pending',
  'permanent_failure',
] as const satisfies ReadonlyArray<DeliveryStatus | EmailStatus>;

// The lists name every value of their database type (a new enum value fails to compile here).
type Missing<All, Listed> = Exclude<All, Listed> extends never ? true : never;
const everyDeliveryStatus: Missing<DeliveryStatus, (typeof deliveryStatuses)[number]> = true;
const everyEmailStatus: Missing<EmailStatus, (typeof emailStatuses)[number]> = true;
const everyFilter: Missing<DeliveryStatus | EmailStatus, (typeof statusFilters)[number]> = true;
void [everyDeliveryStatus, everyEmailStatus, everyFilter];

/**
 * The internal statuses an email of each delivery status has (email_delivery_status() in the database is the
 * exact mapping): a filter on them can use the status indexes before the exact expression is checked.
 */
export const emailStatusesOf: Record<DeliveryStatus, EmailStatus[]> = {
  queued: ['scheduled', 'queued'],
  retrying: ['scheduled', 'retry_pending'],
  dead_letter: ['scheduled', 'queued', 'retry_pending'],
  in_progress: ['sending'],
  sent: ['sent'],
  failed: ['permanent_failure'],
  uncertain: ['uncertain'],
  cancelled: ['cancelled'],
};

export function isDeliveryStatus(status: string): status is DeliveryStatus {
  return (deliveryStatuses as readonly string[]).includes(status);
}
