import { describe, expect, it } from '@jest/globals';
import { renderEmail, TemplateError, type MergeContact } from './index.js';

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
        content: 'Dear {{last_name | default: "friend"}}, {{plan}}/{{fields.seats}} {{unknown}}.',
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

describe('renderEmail with untrusted templates and values', () => {
  const text = (content: string, contact: MergeContact = ada) =>
    renderEmail({ subject: 's', content, format: 'text' }, contact).then((rendered) => rendered.text);
  const html = (content: string, contact: MergeContact = ada) =>
    renderEmail({ subject: 's', content, format: 'html' }, contact).then((rendered) => rendered.html);

  it('offers conditionals and string filters', async () => {
    await expect(text('{% if company %}at {{ company | upcase }}{% else %}hi{% endif %}')).resolves.toBe(
      'at ANALYTICAL <ENGINES>',
    );
    await expect(text('{{ first_name | append: "!" | truncate: 3, "" }}')).resolves.toBe('Ada');
  });

  it.each([
    ['loops', '{% for i in (1..100000000) %}x{% endfor %}', /tag "for" is not allowed/],
    ['assignment', '{% assign x = "y" %}', /tag "assign" is not allowed/],
    ['partials', '{% include "/etc/passwd" %}', /tag "include" is not allowed/],
    ['layouts', '{% layout "x" %}', /tag "layout" is not allowed/],
    ['multiplying filters', '{{ company | replace: "a", "aaaaaaaaaaaaaaa" }}', /unknown filter "replace"/],
    ['raw output in HTML', '{{ company | raw }}', /unknown filter "raw"/],
  ])('refuses %s', async (_what, template, message) => {
    await expect(text(template)).rejects.toThrow(message);
    await expect(text(template)).rejects.toBeInstanceOf(TemplateError);
  });

  it('says how a fallback is now written when a template uses the old form', async () => {
    await expect(text('Hi {{ first_name | there }}')).rejects.toThrow(
      /unknown filter "there".*\{\{ first_name \| default: "there" \}\}/,
    );
  });

  it('reads own properties only: nothing inherited renders', async () => {
    await expect(text('[{{ constructor }}|{{ fields.hasOwnProperty }}|{{ toString }}|{{ __proto__ }}]')).resolves.toBe(
      '[|||]',
    );
  });

  it('renders objects as JSON and reaches into them', async () => {
    const contact = { ...ada, fields: { address: { city: 'London' }, tags: ['a', 'b'] } };
    await expect(text('{{ address.city }} {{ fields.address }}', contact)).resolves.toBe('London {"city":"London"}');
  });

  it('escapes every merged value and fallback in HTML, and no value becomes a script link', async () => {
    const contact = { ...ada, fields: { site: ' javascript:alert(1)', plain: 'https://ada.example/' } };
    await expect(
      html('<a href="{{ site }}">{{ company }}</a> <a href="{{ plain }}">{{ x | default: "<b>" }}</a>', contact),
    ).resolves.toBe(
      '<a href="unsafe: javascript:alert(1)">Analytical &lt;Engines&gt;</a> <a href="https://ada.example/">&lt;b&gt;</a>',
    );
  });

  it('never reads an <mj-include> file', async () => {
    const rendered = await renderEmail(
      {
        subject: 's',
        content:
          '<mjml><mj-body><mj-include path="/etc/passwd" /><mj-section><mj-column><mj-text>Hi</mj-text></mj-column></mj-section></mj-body></mjml>',
        format: 'mjml',
      },
      ada,
    );
    expect(rendered.html).not.toContain('root:');
  });

  it('gives HTML a text part a reader would see', async () => {
    const rendered = await renderEmail(
      {
        subject: 's',
        content: '<head><title>t</title><style>p{}</style></head><h1>Hi  {{ first_name }}</h1><p>a<br>b &amp; c</p>',
        format: 'html',
      },
      ada,
    );
    expect(rendered.text).toBe('Hi Ada\na\nb & c');
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
