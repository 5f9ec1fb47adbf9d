import { describe, expect, it } from '@jest/globals';
import { renderEmail, type MergeContact } from './index.js';

const ada: MergeContact = {
  email: 'ada@example.com',
  first_name: 'Ada',
  last_name: null,
  company: 'Analytical <Engines>',
  fields: { plan: 'pro', seats: 12 },
};

describe('renderEmail', () => {
  it('merges contact columns, custom fields and fallbacks into a text email', async () => {
    const rendered = await renderEmail(
      {
        subject: 'Hi {{first_name}} at {{ company }}',
        content: 'Dear {{last_name | friend}}, {{plan}}/{{fields.seats}} {{unknown}}.',
        format: 'text',
      },
      ada,
    );
    expect(rendered).toEqual({ subject: 'Hi Ada at Analytical <Engines>', text: 'Dear friend, pro/12 .' });
  });

  it('escapes merged values in HTML and derives a text part', async () => {
    const rendered = await renderEmail({ subject: 's', content: '<p>Hello {{company}}</p>', format: 'html' }, ada);
    expect(rendered.html).toBe('<p>Hello Analytical &lt;Engines&gt;</p>');
    expect(rendered.text).toBe('Hello Analytical <Engines>');
  });

  it('compiles MJML to HTML', async () => {
    const rendered = await renderEmail(
      {
        subject: 's',
        content:
          '<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{first_name}}</mj-text></mj-column></mj-section></mj-body></mjml>',
        format: 'mjml',
      },
      ada,
    );
    expect(rendered.html).toContain('<!doctype html>');
    expect(rendered.html).toContain('Hi Ada');
    expect(rendered.text).toContain('Hi Ada');
  });

  it('keeps subjects on one line even when a value has line breaks', async () => {
    const rendered = await renderEmail(
      { subject: 'Hi {{first_name}}', content: '', format: 'text' },
      { ...ada, first_name: 'Ada\r\nBcc: victim@example.com' },
    );
    expect(rendered.subject).toBe('Hi Ada Bcc: victim@example.com');
  });
});

describe('renderEmail strict mode', () => {
  it('rejects broken MJML when a template is saved', async () => {
    await expect(
      renderEmail(
        { subject: 's', content: '<mjml><mj-body><mj-bogus>x</mj-bogus></mj-body></mjml>', format: 'mjml' },
        ada,
        { strict: true },
      ),
    ).rejects.toThrow(/MJML is not valid/);
  });
});
