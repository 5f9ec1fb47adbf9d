export { assertDatabaseReachable, createDb, type Database, type PoolCounts, type PoolMonitor } from './create-db.js';
export { listMigrations, migrateDown, migrateToLatest, newerMigrations } from './migrator.js';
export { generatedTypesPath, runKyselyCodegen } from './codegen.js';
export { dumpSchema, schemaSnapshotPath } from './schema-snapshot.js';
export type * from './database.generated.js';
export { dayOfIndex, localDayStart, mailboxDayCapacity, mailboxDayIndex, mailboxLocalDay } from './mailbox-day.js';
export { isPaced, mailboxInFlight } from './mailbox-pacing.js';
export { waitEnd, windowOpening } from './send-window.js';
export { prepared } from './prepared-statements.js';
export { permanentDatabaseError } from './database-error.js';
export { insertEmailEvent, insertEmailEvents, type NewEmailEvent } from './repositories/email-event.repository.js';
export {
  apiKeyScopes,
  authenticateApiKey,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  type ApiKeyScope,
} from './repositories/api-key.repository.js';
export { defaultWorkspaceId, serviceRoles } from './migrations/2026_12_06_0019_workspaces.js';
export { inWorkspace } from './workspace.js';
export {
  claimDueEmails,
  expireSendingLeases,
  insertKafkaBatch,
  markKafkaBatch,
  reclaimStaleEmails,
  type ClaimedEmail,
} from './repositories/claim.repository.js';
export { settleReservation, settleReservations } from './repositories/mailbox-capacity.repository.js';
export { cancelUnsentEmails } from './repositories/cancel-emails.repository.js';
export { liftSuppression, stoppedEnrollmentStatus, suppressAddress } from './repositories/suppression.repository.js';
export { readInFlightEmailCounts, readStats, type Stats } from './repositories/email-stats.repository.js';
export {
  countFailedEmails,
  listFailedEmails,
  requeueFailedEmail,
  type RequeueResult,
} from './repositories/failed-email.repository.js';
export {
  countPrunable,
  pruneSome,
  retentionKinds,
  uuidV7Floor,
  type RetentionKind,
} from './repositories/retention.repository.js';
export { createDatabase, dropDatabase, listDatabases } from './admin.js';
