export { createTestDatabase, type TestDatabase } from './test-database.js';
export { seedEnrolledEmail } from './seed.js';
