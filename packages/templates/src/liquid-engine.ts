import { Liquid, LiquidError, type Template } from 'liquidjs';
import { ParsedTemplateCache } from './parsed-template-cache.js';
import { escapeHtml, neutralizeScriptUrl } from './html-escape.js';
import { TemplateError } from './template-error.js';

/**
 * Templates are written by any user with a write key and rendered for every email, so the engine is LiquidJS
 * (built for untrusted templates: no code, its own parser) cut down to what stays linear in the size of the
 * template and of the values: conditionals and comments, no loops, no assignment, no partials (no file is ever
 * read), and string filters that do not multiply their input.
 */
const allowedTags = new Set(['if', 'unless', 'case', 'comment', 'raw', '#']);
const allowedFilters = new Set([
  'default',
  'upcase',
  'downcase',
  'capitalize',
  'strip',
  'lstrip',
  'rstrip',
  'strip_newlines',
  'newline_to_br',
  'truncate',
  'truncatewords',
  'append',
  'prepend',
  'remove',
  'remove_first',
  'url_encode',
  'size',
]);

/**
 * LiquidJS parses in time that grows faster than the number of `{{ }}` and `{% %}` it holds (70 000 outputs
 * in 490 kB took 4 s), so a template may hold at most this many; a real email holds a few dozen.
 */
export const maxPlaceholders = 1_000;
const maxTemplateChars = 600_000;
/** What one template may render to: a message of more would be refused by most servers anyway. */
const maxRenderedChars = 2_000_000;

/** Renders what a merge value is: text as it is, numbers and booleans as written, objects as JSON. */
function valueToText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? '';
}

/**
 * What the render under way may still write. Rendering is synchronous, so one counter serves every render:
 * each merged value is charged as it is written, and a template that merges large values too often stops at the
 * limit instead of building megabytes first.
 */
let outputBudget = Number.POSITIVE_INFINITY;

function charged(text: string): string {
  outputBudget -= text.length;
  if (outputBudget < 0)
    throw new TemplateError(`the template renders to more than ${maxRenderedChars} characters for this contact`);
  return text;
}

function restrictedLiquid(outputEscape: (value: unknown) => string): Liquid {
  const liquid = new Liquid({
    ownPropertyOnly: true, // `{{ constructor }}` and `{{ fields.hasOwnProperty }}` render nothing
    strictFilters: true, // an unknown filter is an error when the template is saved, not silence at send time
    strictVariables: false, // a contact without a value renders the fallback or nothing
    outputEscape,
    parseLimit: maxTemplateChars,
    renderLimit: 1_000, // a safety net only: what is allowed above cannot loop
    memoryLimit: 1e8,
    templates: {}, // an in-memory file system with no files: no tag could read one anyway
    cache: false,
  });
  for (const name of Object.keys(liquid.tags)) if (!allowedTags.has(name)) delete liquid.tags[name];
  for (const name of Object.keys(liquid.filters)) if (!allowedFilters.has(name)) liquid.unregisterFilter(name);
  return liquid;
}

const engines = {
  text: restrictedLiquid((value) => charged(valueToText(value))),
  html: restrictedLiquid((value) => charged(escapeHtml(neutralizeScriptUrl(valueToText(value))))),
};
export type Escaping = keyof typeof engines;

const parsedTemplates = { text: new ParsedTemplateCache<Template[]>(), html: new ParsedTemplateCache<Template[]>() };

function countPlaceholders(template: string): number {
  let count = 0;
  for (let at = template.indexOf('{'); at !== -1; at = template.indexOf('{', at + 1)) {
    const next = template.charCodeAt(at + 1);
    if (next === 123 /* { */ || next === 37 /* % */) count += 1;
  }
  return count;
}

function explain(error: LiquidError): string {
  const message = error.message.replace(/\s+/g, ' ');
  const unknownFilter = /^undefined filter: ([^\s,]+)/.exec(message);
  if (unknownFilter) {
    return (
      `unknown filter "${unknownFilter[1]}" (${message}); a fallback is written ` +
      `{{ first_name | default: "${unknownFilter[1]}" }}; filters allowed: ${[...allowedFilters].join(', ')}`
    );
  }
  const unknownTag = /^tag "?([\w#]+)"? not found/.exec(message);
  if (unknownTag)
    return `tag "${unknownTag[1]}" is not allowed (${message}); tags allowed: ${[...allowedTags].join(', ')}`;
  return message;
}

/** Parses a template once per process and text; a TemplateError says what is wrong and where. */
function parseTemplate(template: string, escaping: Escaping): Template[] {
  const cache = parsedTemplates[escaping];
  const cached = cache.get(template);
  if (cached) return cached;
  if (template.length > maxTemplateChars) {
    throw new TemplateError(`the template is ${template.length} characters; at most ${maxTemplateChars}`);
  }
  const placeholders = countPlaceholders(template);
  if (placeholders > maxPlaceholders) {
    throw new TemplateError(`the template holds ${placeholders} {{ }} and {% %}; at most ${maxPlaceholders}`);
  }
  let parsed: Template[];
  try {
    parsed = engines[escaping].parse(template);
  } catch (error) {
    if (error instanceof LiquidError) throw new TemplateError(explain(error));
    throw error;
  }
  cache.set(template, parsed);
  return parsed;
}

export function renderTemplate(template: string, scope: object, escaping: Escaping): string {
  const parsed = parseTemplate(template, escaping);
  outputBudget = maxRenderedChars - template.length;
  try {
    return String(engines[escaping].renderSync(parsed, scope));
  } catch (error) {
    const cause = error instanceof LiquidError ? (error as { originalError?: unknown }).originalError : undefined;
    if (cause instanceof TemplateError) throw cause;
    if (error instanceof LiquidError) throw new TemplateError(explain(error));
    throw error;
  } finally {
    outputBudget = Number.POSITIVE_INFINITY;
  }
}
