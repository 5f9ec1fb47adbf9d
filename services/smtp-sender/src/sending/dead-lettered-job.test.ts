import { describe, expect, it } from '@jest/globals';
import { emailJobMessageId, type EmailJob } from '@outflow/contracts';
import { claimOfDeadLetter } from './dead-lettered-job.js';

describe('the claim of a dead-lettered email job', () => {
  const claim = { emailId: '0b6f2c1e-3a57-4c8e-9a51-6f0d2b7c9e11', claimToken: 'f3a1d2c4-5b6e-4f70-8a9b-0c1d2e3f4a5b' };
  const headers = { messageId: emailJobMessageId(claim), attempt: 1, producedAt: 0 };

  it('comes from the payload when it decoded', () => {
    const payload: EmailJob = {
      email_id: '5d7e8f90-1a2b-4c3d-8e4f-5a6b7c8d9e0f',
      claim_token: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
      batch_id: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
      mailbox_id: 'b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e',
      sequence_id: 'c3d4e5f6-a7b8-4c9d-8e1f-2a3b4c5d6e7f',
      sequence_contact_id: 'd4e5f6a7-b8c9-4d0e-9f2a-3b4c5d6e7f80',
      contact_id: 'e5f6a7b8-c9d0-4e1f-8a3b-4c5d6e7f8091',
      step_order: 1,
      scheduled_for: 0,
      claimed_at: 0,
    };
    // The payload wins: the headers name another claim here only to show which one is used.
    expect(claimOfDeadLetter({ headers, payload })).toEqual({
      emailId: payload.email_id,
      claimToken: payload.claim_token,
    });
  });

  it('comes from the message id when the payload did not decode', () => {
    expect(claimOfDeadLetter({ headers })).toEqual(claim);
  });

  it('is unknown when neither names one', () => {
    expect(claimOfDeadLetter({})).toBeUndefined();
    expect(claimOfDeadLetter({ headers: { ...headers, messageId: 'garbage-1' } })).toBeUndefined();
  });
});
