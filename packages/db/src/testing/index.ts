export { createTestDatabase, type TestDatabase } from './test-database.js';
export { seedEnrolledEmail, seedFailedEmail, seedMoreEnrolledEmails } from './seed.js';
export { preparedOnConnection } from './prepared-on-connection.js';
