import type { EnrollmentStatus } from '@outflow/db';

export const enrollmentStatuses = [
  'active',
  'completed',
  'bounced',
  'unsubscribed',
  'cancelled',
  'replied',
] as const satisfies readonly EnrollmentStatus[];

const everyStatus: Exclude<EnrollmentStatus, (typeof enrollmentStatuses)[number]> extends never ? true : never = true;
void everyStatus;
