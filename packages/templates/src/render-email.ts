import type mjml2htmlType from 'mjml';
import { assertNestingDepth } from './html-depth.js';
import { htmlToText } from './html-to-text.js';
import { renderTemplate } from './liquid-engine.js';
import { mergeScope, type MergeContact } from './merge-scope.js';
import { TemplateError } from './template-error.js';

export type ContentFormat = 'text' | 'html' | 'mjml';

export interface EmailTemplate {
  subject: string;
  content: string;
  format: ContentFormat;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html?: string;
}

// MJML is loaded on first use: it costs ~64 MB of resident memory, which a sender whose sequences are text or HTML
// (most cold email is plain text) should not pay.
let mjmlCompiler: Promise<typeof mjml2htmlType> | undefined;
const loadMjml = () =>
  (mjmlCompiler ??= import('mjml').then(
    (module) => module.default,
    (error: unknown) => {
      mjmlCompiler = undefined; // a failed load is tried again by the next render
      throw error;
    },
  ));

function renderSubject(subject: string, scope: object): string {
  try {
    return renderTemplate(subject, scope, 'text')
      .replace(/[\r\n]+/g, ' ')
      .trim();
  } catch (error) {
    if (error instanceof TemplateError) throw new TemplateError(error.message, 'subject');
    throw error;
  }
}

/**
 * The one rendering function: merge fields into subject and body, MJML compiled to HTML, a text part for every
 * message. Subjects never contain line breaks (a merge value with one could inject headers). `strict` (used
 * when a template is saved) rejects MJML with any validation error; sending renders leniently, so a template
 * that was accepted never fails at send time over a warning.
 */
export async function renderEmail(
  template: EmailTemplate,
  contact: MergeContact,
  options: { strict?: boolean } = {},
): Promise<RenderedEmail> {
  const scope = mergeScope(contact);
  const subject = renderSubject(template.subject, scope);
  if (template.format === 'text') {
    return { subject, text: renderTemplate(template.content, scope, 'text') };
  }
  let html = renderTemplate(template.content, scope, 'html');
  if (template.format === 'mjml') {
    assertNestingDepth(html);
    const mjml2html = await loadMjml();
    let result: Awaited<ReturnType<typeof mjml2html>>;
    try {
      result = await Promise.resolve(
        mjml2html(html, {
          validationLevel: options.strict ? 'strict' : 'soft',
          ignoreIncludes: true, // <mj-include> would read files of the server's
        }),
      );
    } catch (error) {
      throw new TemplateError(`MJML is not valid: ${error instanceof Error ? error.message : String(error)}`);
    }
    const errors = result.errors ?? [];
    if (!result.html || (options.strict && errors.length > 0)) {
      throw new TemplateError(`MJML is not valid: ${errors.map((error) => error.formattedMessage).join('; ')}`);
    }
    html = result.html;
  }
  return { subject, html, text: htmlToText(html) };
}
