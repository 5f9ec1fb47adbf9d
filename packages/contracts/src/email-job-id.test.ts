import { describe, expect, it } from '@jest/globals';
import { emailJobMessageId, parseEmailJobMessageId } from './email-job-id.js';

describe('the email job message id', () => {
  const claim = { emailId: '0b6f2c1e-3a57-4c8e-9a51-6f0d2b7c9e11', claimToken: 'f3a1d2c4-5b6e-4f70-8a9b-0c1d2e3f4a5b' };

  it('names the claim, and parses back to it', () => {
    const id = emailJobMessageId(claim);
    expect(id).toBe(`email-job:${claim.emailId}:${claim.claimToken}`);
    expect(parseEmailJobMessageId(id)).toEqual(claim);
  });

  it('is not found in other message ids', () => {
    expect(parseEmailJobMessageId(`followup:${claim.emailId}`)).toBeUndefined();
    expect(parseEmailJobMessageId(`email-retry:${claim.emailId}:2`)).toBeUndefined();
    expect(parseEmailJobMessageId(`email-job:${claim.emailId}`)).toBeUndefined();
    expect(parseEmailJobMessageId(`email-job:not-a-uuid:${claim.claimToken}`)).toBeUndefined();
    expect(parseEmailJobMessageId(`${emailJobMessageId(claim)}:extra`)).toBeUndefined();
  });
});
