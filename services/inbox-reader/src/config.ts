import { modeEnv, positiveInt, secretEnv } from '@outflow/config';
import { smtpTargetEnv } from '@outflow/smtp-target';

export const inboxReaderEnv = {
  ...secretEnv,
  ...modeEnv,
  // The IMAP host is user input as the SMTP one is: the same networks are allowed (SMTP_ALLOWED_NETWORKS), on
  // IMAP's ports (143 and 993) instead of SMTP's.
  ...smtpTargetEnv,
  /**
   * How long a replica holds a mailbox without renewing (renewed every third of it). A replica that dies leaves its
   * mailboxes to the others after at most this long. Default 60 000 ms.
   */
  IMAP_LEASE_MS: positiveInt.default(60_000),
  /**
   * The longest between two looks at an INBOX. New mail is read at once where the server supports IDLE (nearly all
   * do); this bounds the wait where it does not, or where IDLE silently stalls. Default 60 000 ms.
   */
  IMAP_POLL_MS: positiveInt.default(60_000),
  /** Most mailboxes one replica follows (one IMAP connection each). Default 200. */
  IMAP_MAX_MAILBOXES: positiveInt.default(200),
  /**
   * A message that names none of our Message-IDs (its client dropped In-Reply-To and References) is taken for a
   * reply when its sender was sent an email from this mailbox within this many days. Default 30.
   */
  REPLY_MATCH_DAYS: positiveInt.default(30),
  /**
   * How long after an uncertain send its copy is looked for in the mailbox's Sent folder; not found by then, it
   * stays uncertain for a person (`outflow uncertain`). Default 3 600 000 ms (an hour).
   */
  SENT_FOLDER_LOOKUP_MS: positiveInt.default(3_600_000),
  /** Connect, greeting and command timeout towards IMAP servers. Default 30 000 ms. */
  IMAP_TIMEOUT_MS: positiveInt.default(30_000),
};
