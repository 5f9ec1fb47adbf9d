import { describe, expect, it } from '@jest/globals';
import { simpleParser } from 'mailparser';
import { composeMessage, composeWithNodemailer, UnsendableMessageError, type MessageParts } from './compose-message.js';

const base: MessageParts = {
  from: { name: 'Zoe from Acme', address: 'zoe@acme.example' },
  to: 'bob@example.org',
  subject: 'Quick question',
  text: 'Hi Bob,\n\nJust checking in.\n\nZoe',
  messageId: '<6f1c.1@acme.example>',
  headers: { 'X-Outflow-Email-Id': '6f1c' },
};

/** What a mail client reads from a message: the fields a sequence step sets. */
async function read(raw: Buffer) {
  const mail = await simpleParser(raw);
  const from = mail.from?.value[0];
  const to = Array.isArray(mail.to) ? mail.to[0]?.value[0] : mail.to?.value[0];
  return {
    from: { name: from?.name ?? '', address: from?.address },
    to: to?.address,
    subject: mail.subject,
    text: mail.text,
    html: mail.html === false ? undefined : mail.html,
    messageId: mail.messageId,
    emailId: mail.headers.get('x-outflow-email-id'),
    hasDate: mail.date instanceof Date,
  };
}

const cases: [string, Partial<MessageParts>][] = [
  ['plain ASCII text', {}],
  ['no display name', { from: { name: null, address: 'zoe@acme.example' } }],
  [
    'a display name with specials and quotes',
    { from: { name: 'Zoe "Z" O\'Neil, Sales\\Ops', address: 'zoe@acme.example' } },
  ],
  ['a non-ASCII display name', { from: { name: 'Zoë Müller — Verkauf', address: 'zoe@acme.example' } }],
  [
    'a display name with a line break',
    { from: { name: 'Zoe\r\nBcc: victim@example.org', address: 'zoe@acme.example' } },
  ],
  ['a long non-ASCII subject', { subject: `Grüße aus München, ${'über die Straße '.repeat(8)}— café?` }],
  ['a long ASCII subject', { subject: `A subject ${'that goes on '.repeat(12)}and on` }],
  ['a subject with a control character', { subject: 'tab\there and bell\u0007' }],
  ['long lines and trailing spaces', { text: `${'word '.repeat(40)}\ntrailing   \n\n${'x'.repeat(300)}\nend` }],
  ['CRLF and LF line endings, and dots', { text: 'one\r\ntwo\nthree\n.\n..dots\nend.' }],
  ['Latin text with accents', { text: 'Grüße, Zoë!\nÇa va? Ünïcödé and ASCII mixed.' }],
  ['mostly non-Latin text', { text: 'Привет, Боб! Как дела? 你好，鲍勃。', subject: 'Привет' }],
  ['an emoji', { text: 'Thanks 🙏 see you', subject: 'Hi 👋' }],
  ['an HTML alternative', { html: '<p>Hi <b>Bob</b>,</p><p>Just checking in.</p>' }],
  ['non-ASCII HTML with long lines', { html: `<p>Grüße ${'<span>über</span> '.repeat(30)}</p>`, text: 'Grüße' }],
  ['a one-character text', { text: '.' }],
];

describe('composeMessage', () => {
  it.each(cases)('builds what nodemailer builds, as a mail client reads it: %s', async (_, change) => {
    const parts = { ...base, ...change };
    const direct = await composeMessage(parts);
    expect(direct.envelope).toEqual({ from: parts.from.address, to: [parts.to] });
    const [ours, reference] = await Promise.all([read(direct.raw), read((await composeWithNodemailer(parts)).raw)]);
    expect(ours).toEqual(reference);
    expect(ours).toMatchObject({
      to: parts.to,
      messageId: parts.messageId,
      emailId: parts.headers['X-Outflow-Email-Id'],
      hasDate: true,
    });
  });

  it.each(cases)('writes CRLF lines of at most 78 characters, headers included: %s', async (_, change) => {
    const { raw } = await composeMessage({ ...base, ...change });
    const text = raw.toString('latin1');
    expect(text).not.toMatch(/[^\r]\n|\r[^\n]/);
    for (const line of text.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    expect(raw.every((byte) => byte < 0x80)).toBe(true);
  });

  it('keeps a header out of a display name that holds a line break', async () => {
    const { raw } = await composeMessage({
      ...base,
      from: { name: 'Zoe\r\nBcc: victim@example.org', address: 'a@b.example' },
    });
    expect(raw.toString()).not.toMatch(/^Bcc:/im);
  });

  it.each([
    ['a subject with a line break', { subject: 'Hi\r\nBcc: victim@example.org' }, /subject holds a line break/],
    ['a second recipient after a comma', { to: 'bob@example.org, victim@example.org' }, /recipient is not one/],
    ['a recipient with a line break', { to: 'bob@example.org\r\nBcc: victim@example.org' }, /recipient is not one/],
    ['a recipient in brackets', { to: 'Bob <victim@example.org>' }, /recipient is not one/],
    ['a sender address with a comma', { from: { address: 'a@b.example,c@d.example' } }, /sender address/],
    ['a header value with a line break', { headers: { 'X-Outflow-Email-Id': '1\r\nBcc: v@x.example' } }, /header/],
  ])('refuses %s, as a failure no retry can fix', async (_what, change, message) => {
    const parts = { ...base, ...change } as MessageParts;
    await expect(composeMessage(parts)).rejects.toThrow(message);
    await expect(composeMessage(parts)).rejects.toBeInstanceOf(UnsendableMessageError);
  });

  it('takes a lone CR for a line break, as the author meant it (nodemailer leaves it in the body)', async () => {
    const { raw } = await composeMessage({ ...base, text: 'one\rtwo' });
    expect((await read(raw)).text).toBe('one\ntwo\n');
  });

  it('writes a text-only message as one part, with the encoding the text needs', async () => {
    const ascii = (await composeMessage(base)).raw.toString();
    expect(ascii).toMatch(/^Content-Type: text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n/m);
    expect(ascii).not.toContain('multipart');
    const latin = (await composeMessage({ ...base, text: 'Grüße' })).raw.toString();
    expect(latin).toContain('Content-Transfer-Encoding: quoted-printable');
    const cyrillic = (await composeMessage({ ...base, text: 'Привет' })).raw.toString();
    expect(cyrillic).toContain('Content-Transfer-Encoding: base64');
  });

  it('hands an address that needs more than ASCII to nodemailer (punycode domain)', async () => {
    const parts = { ...base, to: 'bob@bücher.example' };
    const composed = await composeMessage(parts);
    expect(composed.envelope.to).toEqual(['bob@xn--bcher-kva.example']);
    expect(composed.raw.toString()).toMatch(/^To: bob@xn--bcher-kva\.example\r$/m);
  });
});
