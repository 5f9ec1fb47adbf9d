import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { classifyInbound } from './classify-inbound.js';
import { readInboundFacts } from './inbound-facts.js';
import { emailIdsIn } from './outflow-message-id.js';

/** Hand-written samples in the shapes real clients and MTAs send (src/classify/samples). */
async function classifySample(name: string) {
  const raw = await readFile(new URL(`./samples/${name}.eml`, import.meta.url));
  return classifyInbound(await readInboundFacts(raw));
}

const emailId = (suffix: string) => `0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4${suffix}`;

describe('classifyInbound', () => {
  it.each([
    ['gmail-reply', [emailId('a5b')]],
    ['outlook-reply', [emailId('a5d'), emailId('a5c')]],
    ['apple-mail-reply', [emailId('a5e')]],
  ])('takes a client reply (%s) as personal, naming the emails it answers', async (sample, emails) => {
    const classified = await classifySample(sample);
    expect(classified.kind).toBe('personal');
    expect(classified.kind === 'personal' && emailIdsIn(classified.referencedIds)).toEqual(emails);
  });

  it('keeps a reply whose client dropped In-Reply-To and References personal, naming nothing', async () => {
    expect(await classifySample('reply-without-references')).toEqual({ kind: 'personal', referencedIds: [] });
  });

  it.each(['gmail-vacation', 'outlook-automatic-reply'])('takes %s as an auto-reply', async (sample) => {
    expect((await classifySample(sample)).kind).toBe('auto_reply');
  });

  it('takes a list or bulk message that answers nothing of ours as other', async () => {
    expect(await classifySample('newsletter')).toEqual({ kind: 'other', reason: 'bulk or list mail' });
  });

  it.each([
    ['postfix-dsn-hard', 'gone@prospect.example', '5.1.1', emailId('a60')],
    ['gmail-dsn-hard', 'nobody@gmail-user.example', '5.1.1', emailId('a61')],
    ['exchange-ndr-hard', 'left.company@corp.example', '5.1.10', emailId('a62')],
  ])('reads an RFC 3464 report (%s) as a hard bounce of its recipient', async (sample, recipient, status, email) => {
    const classified = await classifySample(sample);
    expect(classified).toMatchObject({ kind: 'bounce', bounceType: 'hard', recipient, statusCode: status });
    expect(classified.kind === 'bounce' && emailIdsIn(classified.originalIds)).toEqual([email]);
  });

  it('reads a delay report as a soft bounce', async () => {
    expect(await classifySample('dsn-delayed-soft')).toMatchObject({
      kind: 'bounce',
      bounceType: 'soft',
      recipient: 'full@prospect.example',
      statusCode: '4.2.2',
      originalIds: [`<${emailId('a63')}.1@acme.example>`],
    });
  });

  it.each([
    ['qmail-failure', 'old.name@prospect.example', '5.1.1', emailId('a64')],
    ['exim-failed', 'typo@prospekt.example', undefined, emailId('a65')],
  ])(
    'reads a prose bounce (%s): its recipient, status and the returned email',
    async (sample, recipient, status, email) => {
      const classified = await classifySample(sample);
      expect(classified).toMatchObject({ kind: 'bounce', bounceType: 'hard', recipient, statusCode: status });
      expect(classified.kind === 'bounce' && emailIdsIn(classified.originalIds)).toEqual([email]);
    },
  );

  it('classifies a report cut off inside a large returned attachment (the reader reads the first 512 KiB)', async () => {
    const sample = await readFile(new URL('./samples/postfix-dsn-hard.eml', import.meta.url), 'utf8');
    const attachment = `Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n${'QUJD'.repeat(300_000)}`;
    const big = sample.replace('Hi, are you hiring this quarter?', `Hi, are you hiring this quarter?\r\n${attachment}`);
    const classified = classifyInbound(await readInboundFacts(Buffer.from(big).subarray(0, 512 * 1024)));
    expect(classified).toMatchObject({ kind: 'bounce', bounceType: 'hard', recipient: 'gone@prospect.example' });
  });

  it('does not take a person writing about an undeliverable parcel for a bounce', async () => {
    const facts = await readInboundFacts(
      'From: Dana <dana@prospect.example>\r\nSubject: Undeliverable parcel, can you resend?\r\n' +
        'Message-ID: <p1@prospect.example>\r\n\r\nThe courier says 550 Street does not exist.\r\n',
    );
    expect(classifyInbound(facts)).toEqual({ kind: 'personal', referencedIds: [] });
  });

  it('takes a report of successful delivery for other, not a bounce', async () => {
    const raw = (await readFile(new URL('./samples/postfix-dsn-hard.eml', import.meta.url), 'utf8'))
      .replace('Action: failed', 'Action: delivered')
      .replace('Status: 5.1.1', 'Status: 2.0.0');
    expect((await classifyInbound(await readInboundFacts(raw))).kind).toBe('other');
  });

  it('takes the List-Unsubscribe mailto for an unsubscribe request, with its token when the subject kept it', async () => {
    const request = (subject: string) =>
      readInboundFacts(`From: dana@prospect.example\r\nSubject: ${subject}\r\nMessage-ID: <u@p.example>\r\n\r\n\r\n`);
    expect(classifyInbound(await request('unsubscribe AbC_12-x.y'))).toEqual({
      kind: 'unsubscribe',
      token: 'AbC_12-x.y',
    });
    expect(classifyInbound(await request('Unsubscribe'))).toEqual({ kind: 'unsubscribe', token: undefined });
    // A person writing about unsubscribing is a person writing.
    expect(classifyInbound(await request('Re: how do I unsubscribe from this?')).kind).toBe('personal');
  });

  it('treats Auto-Submitted: no as a person writing', async () => {
    const facts = await readInboundFacts(
      'From: dana@prospect.example\r\nAuto-Submitted: no\r\nSubject: Re: hi\r\n\r\nyes\r\n',
    );
    expect(classifyInbound(facts).kind).toBe('personal');
  });
});

describe('emailIdsIn', () => {
  it('finds email ids only in Outflow-shaped Message-IDs, once each', () => {
    const id = emailId('a5b');
    expect(emailIdsIn([`<${id}.1@acme.example>`, '<CAF4kz@mail.gmail.com>', `<${id}.2@acme.example>`, 'junk'])).toEqual(
      [id],
    );
  });
});
