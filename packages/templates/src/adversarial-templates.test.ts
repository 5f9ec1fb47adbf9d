import { beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  maxHtmlDepth,
  maxPlaceholders,
  renderEmail,
  TemplateError,
  type ContentFormat,
  type EmailTemplate,
  type MergeContact,
} from './index.js';

const contact: MergeContact = {
  email: 'ada@example.com',
  first_name: 'Ada',
  last_name: null,
  company: 'Analytical Engines',
  fields: { plan: 'pro' },
};

const size = 500_000;
const budgetMs = 50;
/**
 * LiquidJS reads a template at 60-100 ns a character on the 2-core machines CI runs on, so parsing the largest
 * template allowed (500 kB) takes 30-60 ms there whatever it holds: a template written to be slow may take what
 * a plain one of its size takes, a few times over, but never more (the regular expression this replaced took 5 s
 * for 2 000 spaces and 204 s for 8 000). Rendering a parsed template, as the sender does for every email, must
 * stay under the budget.
 */
const slowerThanPlainAtMost = 4;
const fill = (unit: string) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);

/**
 * The CPU time `work` took in this process (every thread: V8's collector too), not the wall time: the test files
 * run side by side on two cores, and there a render waited for a core for as long as it ran (54.6 ms measured for
 * a 15 ms render in a fresh-clone CI run). CPU time is what the sender pays per email.
 */
async function cpuMs(work: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1_000;
}

/**
 * The fastest of three renders, each of a template new to the process (a parsed template is cached), so a
 * pause of the machine cannot fail the test but a render that grows faster than its input does.
 */
let rendered = 0; // each render's template is new to the process: the parse is timed too, never a cache hit

async function fastestRenderMs(content: string, format: ContentFormat, who = contact): Promise<number> {
  let fastest = Infinity;
  for (let run = 0; run < 3; run += 1) {
    const ms = await cpuMs(() =>
      renderEmail({ subject: 'Hi {{ first_name }}', content: `${content} ${(rendered += 1)}`, format }, who).catch(
        (error: unknown) => {
          if (!(error instanceof TemplateError)) throw error;
        },
      ),
    );
    fastest = Math.min(fastest, ms);
  }
  return fastest;
}

/** The fastest of three renders of a template parsed before (as the sender renders it for each email). */
async function fastestParsedRenderMs(template: EmailTemplate, who: MergeContact): Promise<number> {
  let fastest = Infinity;
  for (let run = 0; run < 3; run += 1) {
    const ms = await cpuMs(() =>
      renderEmail(template, who).catch((error: unknown) => {
        if (!(error instanceof TemplateError)) throw error;
      }),
    );
    fastest = Math.min(fastest, ms);
  }
  return fastest;
}

describe('templates written to stall the renderer', () => {
  const shapes: [string, string][] = [
    ['an unclosed merge field with a fallback and many spaces', `{{a|${fill(' ')}`],
    ['the same, closed', `{{a|${fill(' ').slice(10)}}}`],
    ['open braces only', fill('{{')],
    ['open tags only', fill('{%')],
    [
      'as many merge fields as allowed, in text',
      fill('lorem ipsum ').slice(0, size - 8_000) + '{{ a }} '.repeat(maxPlaceholders - 1),
    ],
    ['more merge fields than allowed', fill('{{ a }}')],
    ['open angle brackets', fill('<')],
    ['unclosed style elements', fill('<style')],
    ['unclosed attributes', fill('<a href="')],
    ['unclosed comments', fill('<!--')],
    ['unterminated entities', fill('&#')],
    ['spaces without a line break', fill(' ')],
    ['deeply nested elements', fill('<div>')],
    ['many closed elements', fill('<b>x</b>')],
  ];

  const plain = fill('lorem ipsum dolor sit amet ');
  beforeAll(async () => {
    // Every path compiled by V8 before anything is timed: a first render runs 3-5 times slower than the third.
    for (const [, content] of [...shapes, ['plain', plain]]) {
      await fastestRenderMs(content!, 'text');
      await fastestRenderMs(content!, 'html');
    }
  });

  it.each(shapes)(
    'parses and renders, or refuses, %s (500 kB) about as fast as plain text of its size',
    async (_shape, content) => {
      for (const format of ['text', 'html'] as const) {
        const ms = await fastestRenderMs(content, format);
        // Other test files share the cores: the plain template is timed again right beside the shape, so a busy
        // moment slows both sides alike (timed once before all, it was the quiet moment's figure).
        const besidePlainMs = await fastestRenderMs(plain, format);
        expect(ms).toBeLessThan(Math.max(budgetMs, slowerThanPlainAtMost * besidePlainMs));
      }
    },
  );

  it.each(shapes)('renders %s (500 kB), once parsed, in < 50 ms', async (_shape, content) => {
    for (const format of ['text', 'html'] as const) {
      const template = { subject: 's', content, format };
      const parsed = await renderEmail(template, contact).then(
        () => true,
        (error: unknown) => {
          if (error instanceof TemplateError) return false;
          throw error;
        },
      );
      if (!parsed) continue; // refused when it was saved: never rendered
      expect(await fastestParsedRenderMs(template, contact)).toBeLessThan(budgetMs);
    }
  });

  // The largest values the API accepts (columns of 200-300 characters, 50 custom fields of 2 000).
  const hostile: MergeContact = {
    email: 'ada@example.com',
    first_name: '<'.repeat(200),
    last_name: '&'.repeat(200),
    company: ' '.repeat(300),
    fields: Object.fromEntries(
      Array.from({ length: 50 }, (_, index) => [
        `f${index}`,
        ['<', ' ', 'javascript:', '&#'][index % 4]!.repeat(2_000).slice(0, 2_000),
      ]),
    ),
  };

  it('renders the largest values the API accepts, each merged once, in < 50 ms', async () => {
    const content = `<p>{{ first_name }} {{ last_name }} {{ company | strip | upcase }}</p>${Object.keys(hostile.fields)
      .map((name) => `<a href="{{ ${name} }}">{{ ${name} | truncate: 1000 }}</a>`)
      .join('')}`;
    expect(await fastestRenderMs(content, 'html', hostile)).toBeLessThan(budgetMs);
  });

  it('refuses a template that merges large values too often, in < 50 ms once parsed', async () => {
    const content = '{{ f0 }}'.repeat(maxPlaceholders - 1);
    await expect(renderEmail({ subject: 's', content, format: 'html' }, hostile)).rejects.toThrow(
      /renders to more than 2000000 characters/,
    );
    // As the sender meets it: parsed once (above), then refused for each email.
    expect(await fastestParsedRenderMs({ subject: 's', content, format: 'html' }, hostile)).toBeLessThan(budgetMs);
  });

  it('refuses more placeholders than allowed, and MJML nested too deep, with a TemplateError', async () => {
    const render = (content: string, format: ContentFormat) => renderEmail({ subject: 's', content, format }, contact);
    await expect(render('{{ a }}'.repeat(maxPlaceholders + 1), 'text')).rejects.toThrow(/at most 1000/);
    const mjml = `<mjml><mj-body>${'<mj-section>'.repeat(maxHtmlDepth)}</mj-body></mjml>`;
    await expect(render(mjml, 'mjml')).rejects.toThrow(/nests deeper than 256/);
  });
});

describe('templates and values from a fuzzer', () => {
  const pieces = [
    '{{',
    '}}',
    '{%',
    '%}',
    '|',
    '"',
    "'",
    ':',
    ',',
    ' ',
    '\n',
    '\r\n',
    'first_name',
    'fields.',
    'company',
    'plan',
    'default',
    'upcase',
    'truncate',
    'if',
    'endif',
    'else',
    'unless',
    'endunless',
    'case',
    'when',
    'endcase',
    'raw',
    'endraw',
    'for',
    'include',
    'constructor',
    '__proto__',
    '<',
    '>',
    '<a href=',
    'javascript:',
    '&',
    '#',
    '-',
    '1',
  ];
  const template = fc.array(fc.constantFrom(...pieces), { maxLength: 60 }).map((parts) => parts.join(''));
  const value = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.constantFrom('javascript:alert(1)', '<script>', '\r\nBcc: x@y'),
  );

  it('either renders or refuses with a TemplateError, keeps the subject on one line, and never emits a script link', async () => {
    await fc.assert(
      fc.asyncProperty(
        template,
        template,
        fc.constantFrom<ContentFormat>('text', 'html'),
        value,
        value,
        async (subject, content, format, first, plan) => {
          const who = { ...contact, first_name: first, fields: { plan } };
          try {
            const rendered = await renderEmail({ subject, content, format }, who);
            expect(rendered.subject).not.toMatch(/[\r\n]/);
            if (format === 'html') {
              expect(rendered.html).not.toContain('<script>');
              expect(rendered.html).not.toMatch(/(^|[^:])javascript:alert/);
            }
          } catch (error) {
            expect(error).toBeInstanceOf(TemplateError);
          }
        },
      ),
      { seed: 20261206, numRuns: 2_000 },
    );
  });
});
