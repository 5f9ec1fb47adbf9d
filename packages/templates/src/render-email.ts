import type mjml2htmlType from 'mjml';
import { applyMergeFields, escapeHtml, type MergeContact } from './merge-fields.js';

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

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
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

function htmlToText(html: string): string {
  return html
    .replace(/<(style|script|head)[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|h[1-6]|li|tr)>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
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
  const subject = applyMergeFields(template.subject, contact)
    .replace(/[\r\n]+/g, ' ')
    .trim();
  if (template.format === 'text') {
    return { subject, text: applyMergeFields(template.content, contact) };
  }
  let html = applyMergeFields(template.content, contact, escapeHtml);
  if (template.format === 'mjml') {
    const mjml2html = await loadMjml();
    let result: Awaited<ReturnType<typeof mjml2html>>;
    try {
      result = await Promise.resolve(mjml2html(html, { validationLevel: options.strict ? 'strict' : 'soft' }));
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
