import { uuidText } from './uuid.js';

/**
 * The message id of an email's job: the same for every copy of one claim (so consumers can tell copies apart),
 * and enough to find the claim again when the payload itself cannot be read (a message that goes to the dead
 * letter topic because it does not decode still names its email in its headers).
 */
export function emailJobMessageId(claim: { emailId: string; claimToken: string }): string {
  return `email-job:${claim.emailId}:${claim.claimToken}`;
}

const emailJobIdPattern = new RegExp(`^email-job:(${uuidText}):(${uuidText})$`, 'i');

/** The claim an email job's message id names, or undefined when it is not one. */
export function parseEmailJobMessageId(messageId: string): { emailId: string; claimToken: string } | undefined {
  const match = emailJobIdPattern.exec(messageId);
  return match ? { emailId: match[1]!, claimToken: match[2]! } : undefined;
}
