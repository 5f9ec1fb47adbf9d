import { sql, type Kysely } from 'kysely';

// Frozen here on purpose: a migration must convert what was stored then, whatever the renderer becomes later.

const isNameStart = (code: number) => (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
const isNameChar = (code: number) => isNameStart(code) || (code >= 48 && code <= 57) || code === 46;
const isSpace = (code: number) => code === 32 || (code >= 9 && code <= 13);
const liquidString = (text: string) => `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

/**
 * Rewrites a template of the old merge syntax (`{{ name }}`, `{{ name | fallback }}`, anything else literal)
 * into Liquid with the same output: `{{ name | default: "fallback" }}`, and a literal `{{` or `{%` written so Liquid
 * prints it. One pass: the position of the next `}` only moves forward, so no input makes it slow (the
 * old pattern backtracked for minutes on `{{a|` and spaces).
 */
export function legacyToLiquid(template: string): string {
  let out = '';
  let from = 0;
  let nextBrace = -1; // the first `}` at or after the position looked at, or the end
  for (let open = template.indexOf('{', 0); open !== -1; open = template.indexOf('{', open + 1)) {
    if (open < from) continue;
    const second = template.charCodeAt(open + 1);
    if (second === 37 /* % */) {
      out += `${template.slice(from, open)}{{ "{%" }}`;
      from = open + 2;
      open += 1;
      continue;
    }
    if (second !== 123 /* { */) continue;
    let at = open + 2;
    while (at < template.length && isSpace(template.charCodeAt(at))) at += 1;
    const nameStart = at;
    if (isNameStart(template.charCodeAt(at)))
      while (at < template.length && isNameChar(template.charCodeAt(at))) at += 1;
    const name = template.slice(nameStart, at);
    if (nextBrace < at) {
      const found = template.indexOf('}', at);
      nextBrace = found === -1 ? template.length : found; // none: never looked for again
    }
    let replacement: string | undefined;
    if (name !== '' && nextBrace < template.length && template.charCodeAt(nextBrace + 1) === 125 /* } */) {
      const rest = template.slice(at, nextBrace);
      const trimmed = rest.trim();
      if (trimmed === '') replacement = `{{ ${name} }}`;
      else if (trimmed.startsWith('|'))
        replacement = `{{ ${name} | default: ${liquidString(trimmed.slice(1).trim())} }}`;
    }
    if (replacement === undefined) {
      // Literal in the old syntax: this brace is written as a string, so it cannot open a Liquid output; the
      // next one may still open a merge field, as it could before (`{{{name}}}` rendered `{Ada}`).
      out += `${template.slice(from, open)}{{ "{" }}`;
      from = open + 1;
    } else {
      out += template.slice(from, open) + replacement;
      from = nextBrace + 2;
      open = nextBrace + 1;
    }
  }
  return out + template.slice(from);
}

/** The inverse for the forms `legacyToLiquid` writes, so a rollback leaves templates the old renderer reads. */
export function liquidToLegacy(template: string): string {
  return template
    .replace(
      /\{\{ ([A-Za-z_][\w.]*) \| default: "((?:[^"\\]|\\.)*)" \}\}/g,
      (_whole, name: string, fallback: string) => `{{ ${name} | ${fallback.replace(/\\(.)/g, '$1')} }}`,
    )
    .replaceAll('{{ "{" }}', '{')
    .replaceAll('{{ "{%" }}', '{%');
}

async function rewriteSteps(db: Kysely<any>, rewrite: (template: string) => string): Promise<void> {
  const { rows } = await sql<{ id: string; subject: string; content: string }>`
    select id, subject, content from steps
  `.execute(db);
  for (const step of rows) {
    const subject = rewrite(step.subject);
    const content = rewrite(step.content);
    if (subject === step.subject && content === step.content) continue;
    await sql`update steps set subject = ${subject}, content = ${content} where id = ${step.id}`.execute(db);
  }
}

/**
 * Templates are rendered by LiquidJS from now on (merge fields with filters and conditionals, safe for untrusted
 * templates): stored steps move to its syntax. Steps are few (a sequence holds at most 50), so they are read and
 * written in one transaction by the migrator.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await rewriteSteps(db, legacyToLiquid);
}

export async function down(db: Kysely<any>): Promise<void> {
  await rewriteSteps(db, liquidToLegacy);
}
