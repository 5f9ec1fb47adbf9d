import type { Migration } from 'kysely';
import * as initialSchema from './2026_11_22_0001_initial_schema.js';
import * as apiKeysAndCapacityDay from './2026_11_22_0002_api_keys_and_capacity_day.js';
import * as outboxAndIdempotency from './2026_11_22_0003_outbox_and_idempotency.js';
import * as reconciliation from './2026_11_22_0004_reconciliation.js';
import * as cheaperDeliverySync from './2026_11_23_0005_cheaper_delivery_sync.js';
import * as dueIndexInClaimOrder from './2026_11_23_0006_due_index_in_claim_order.js';
import * as cheaperStatusWrites from './2026_11_23_0007_cheaper_status_writes.js';
import * as inFlightByDay from './2026_11_23_0008_in_flight_by_day.js';
import * as queueAutovacuum from './2026_11_23_0009_queue_autovacuum.js';
import * as deliveryStatusFromEmail from './2026_11_23_0010_delivery_status_from_email.js';
import * as fewerEmailIndexes from './2026_11_23_0011_fewer_email_indexes.js';
import * as auditPerStatement from './2026_11_23_0012_audit_per_statement.js';
import * as followupScan from './2026_11_23_0013_followup_scan.js';
import * as auditWithoutKeyChecks from './2026_11_23_0014_audit_without_key_checks.js';
import * as timeOrderedIds from './2026_11_24_0015_time_ordered_ids.js';
import * as enrollmentAutovacuum from './2026_11_24_0016_enrollment_autovacuum.js';
import * as liquidTemplates from './2026_12_06_0017_liquid_templates.js';
import * as insecureAuthOptOut from './2026_12_06_0018_insecure_auth_opt_out.js';
import * as workspaces from './2026_12_06_0019_workspaces.js';
import * as traceContext from './2026_12_06_0020_trace_context.js';
import * as outboxBacklogGrant from './2026_12_07_0021_outbox_backlog_grant.js';
import * as sequenceVersions from './2026_12_07_0022_sequence_versions.js';
import * as eventsKeepWorkspace from './2026_12_07_0023_events_keep_workspace.js';
import * as contactErasure from './2026_12_07_0024_contact_erasure.js';
import * as mailboxLifecycle from './2026_12_07_0025_mailbox_lifecycle.js';
import * as suppressions from './2026_12_07_0026_suppressions.js';
import * as inboundMail from './2026_12_07_0027_inbound_mail.js';
import * as threadedFollowups from './2026_12_07_0028_threaded_followups.js';
import * as sendWindows from './2026_12_07_0029_send_windows.js';
import * as mailboxPacing from './2026_12_07_0030_mailbox_pacing.js';

/**
 * Every migration, by name. Names sort in the order they run (timestamp prefix). Listed statically rather than
 * read from disk, so the same list works from TypeScript sources, compiled output and a bundled image.
 */
export const migrations: Record<string, Migration> = {
  '2026_11_22_0001_initial_schema': initialSchema,
  '2026_11_22_0002_api_keys_and_capacity_day': apiKeysAndCapacityDay,
  '2026_11_22_0003_outbox_and_idempotency': outboxAndIdempotency,
  '2026_11_22_0004_reconciliation': reconciliation,
  '2026_11_23_0005_cheaper_delivery_sync': cheaperDeliverySync,
  '2026_11_23_0006_due_index_in_claim_order': dueIndexInClaimOrder,
  '2026_11_23_0007_cheaper_status_writes': cheaperStatusWrites,
  '2026_11_23_0008_in_flight_by_day': inFlightByDay,
  '2026_11_23_0009_queue_autovacuum': queueAutovacuum,
  '2026_11_23_0010_delivery_status_from_email': deliveryStatusFromEmail,
  '2026_11_23_0011_fewer_email_indexes': fewerEmailIndexes,
  '2026_11_23_0012_audit_per_statement': auditPerStatement,
  '2026_11_23_0013_followup_scan': followupScan,
  '2026_11_23_0014_audit_without_key_checks': auditWithoutKeyChecks,
  '2026_11_24_0015_time_ordered_ids': timeOrderedIds,
  '2026_11_24_0016_enrollment_autovacuum': enrollmentAutovacuum,
  '2026_12_06_0017_liquid_templates': liquidTemplates,
  '2026_12_06_0018_insecure_auth_opt_out': insecureAuthOptOut,
  '2026_12_06_0019_workspaces': workspaces,
  '2026_12_06_0020_trace_context': traceContext,
  '2026_12_07_0021_outbox_backlog_grant': outboxBacklogGrant,
  '2026_12_07_0022_sequence_versions': sequenceVersions,
  '2026_12_07_0023_events_keep_workspace': eventsKeepWorkspace,
  '2026_12_07_0024_contact_erasure': contactErasure,
  '2026_12_07_0025_mailbox_lifecycle': mailboxLifecycle,
  '2026_12_07_0026_suppressions': suppressions,
  '2026_12_07_0027_inbound_mail': inboundMail,
  '2026_12_07_0028_threaded_followups': threadedFollowups,
  '2026_12_07_0029_send_windows': sendWindows,
  '2026_12_07_0030_mailbox_pacing': mailboxPacing,
};
