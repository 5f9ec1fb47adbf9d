import { runOutflowService } from '@outflow/service-kit';
import { inboxReaderEnv } from './config.js';
import { startInboxReader } from './start-inbox-reader.js';

// inbox-reader: follows mailboxes' INBOXes over IMAP; replies and bounces stop sequences, Sent settles uncertain sends.
runOutflowService({ name: 'inbox-reader', defaultHealthPort: 9406, env: inboxReaderEnv, start: startInboxReader });
