import { namedEntities } from './html-entities.js';

const hidden = new Set(['style', 'script', 'head', 'title']);
const blocks = new Set(['p', 'div', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'li', 'tr', 'table', 'blockquote', 'section']);
const longestName = 10; // no tag in the sets above, and no character reference this decodes, is longer

const isLetter = (code: number) => (code >= 97 && code <= 122) || (code >= 65 && code <= 90);
const isDigit = (code: number) => code >= 48 && code <= 57;
const isHexDigit = (code: number) => isDigit(code) || (code >= 97 && code <= 102) || (code >= 65 && code <= 70);
const isNameChar = (code: number) => isLetter(code) || isDigit(code) || code === 45 || code === 58;
const isSpace = (code: number) => code === 32 || code === 9 || code === 10 || code === 13 || code === 12;

/** The text as it is written: runs of white space become one space; it never grows past the markup's length. */
class TextWriter {
  private readonly codes: Uint16Array;
  private length = 0;
  private spacePending = false;

  constructor(capacity: number) {
    this.codes = new Uint16Array(capacity);
  }

  char(code: number): void {
    if (isSpace(code)) {
      this.spacePending = true;
      return;
    }
    if (this.spacePending) this.codes[this.length++] = 32;
    this.spacePending = false;
    this.codes[this.length++] = code;
  }

  codePoint(codePoint: number): void {
    if (codePoint <= 0xffff) return this.char(codePoint);
    this.char(0xd800 + ((codePoint - 0x10000) >> 10));
    this.char(0xdc00 + ((codePoint - 0x10000) & 0x3ff));
  }

  lineBreak(): void {
    this.spacePending = false;
    this.codes[this.length++] = 10;
  }

  toString(): string {
    return new TextDecoder('utf-16le').decode(this.codes.subarray(0, this.length));
  }
}

/** `&lt;`, `&gt;`, `&amp;` and `&quot;` (what escaping writes) without a lookup; 0 for any other. */
function commonReference(html: string, amp: number, semicolon: number): number {
  const first = html.charCodeAt(amp + 1);
  const length = semicolon - amp - 1;
  if (length === 2 && html.charCodeAt(amp + 2) === 116 /* t */) return first === 108 ? 60 : first === 103 ? 62 : 0;
  if (length === 3 && first === 97 && html.startsWith('mp', amp + 2)) return 38;
  if (length === 4 && first === 113 && html.startsWith('uot', amp + 2)) return 34;
  return 0;
}

/** Decodes the character reference at `amp`, if there is one; returns where the text goes on. */
function writeReference(html: string, amp: number, out: TextWriter): number {
  let end = amp + 1;
  while (end < html.length && end <= amp + longestName && html.charCodeAt(end) !== 59 /* ; */) end += 1;
  if (html.charCodeAt(end) === 59 && end > amp + 1) {
    if (html.charCodeAt(amp + 1) === 35 /* # */) {
      const hex = (html.charCodeAt(amp + 2) | 32) === 120; /* x or X */
      const digits = html.slice(amp + (hex ? 3 : 2), end);
      let valid = digits.length > 0;
      for (let at = 0; at < digits.length && valid; at += 1) {
        valid = hex ? isHexDigit(digits.charCodeAt(at)) : isDigit(digits.charCodeAt(at));
      }
      if (valid) {
        const codePoint = Number.parseInt(digits, hex ? 16 : 10);
        out.codePoint(
          codePoint > 0 && codePoint <= 0x10ffff && !(codePoint >= 0xd800 && codePoint <= 0xdfff) ? codePoint : 0xfffd,
        );
        return end + 1;
      }
    } else {
      const common = commonReference(html, amp, end);
      if (common !== 0) {
        out.char(common);
        return end + 1;
      }
      const name = html.slice(amp + 1, end);
      if (Object.hasOwn(namedEntities, name)) {
        const text = namedEntities[name]!;
        for (let at = 0; at < text.length; at += 1) out.char(text.charCodeAt(at));
        return end + 1;
      }
    }
  }
  out.char(38 /* & */);
  return amp + 1;
}

/** Where the tag whose name ends at `from` ends (just past its unquoted `>`), or the end of the markup. */
function tagEnd(html: string, from: number): number {
  let quote = 0;
  for (let at = from; at < html.length; at += 1) {
    const code = html.charCodeAt(at);
    if (quote !== 0) {
      if (code === quote) quote = 0;
    } else if (code === 34 || code === 39) quote = code;
    else if (code === 62 /* > */) return at + 1;
  }
  return html.length;
}

/** Just past the `</name ...>` that ends a hidden element's content, or the end of the markup. */
function hiddenContentEnd(html: string, name: string, from: number): number {
  for (let close = html.indexOf('</', from); close !== -1; close = html.indexOf('</', close + 2)) {
    const candidate = html.slice(close + 2, close + 2 + name.length).toLowerCase();
    if (candidate === name && !isNameChar(html.charCodeAt(close + 2 + name.length))) {
      return tagEnd(html, close + 2 + name.length);
    }
  }
  return html.length;
}

/**
 * The text part of an HTML email: the text a reader sees, a line per block and per `<br>`, character
 * references decoded. Hand-written rather than htmlparser2 (with `entities`) because it must stay fast on
 * markup written to be slow: htmlparser2 took 0.4 s for 500 kB of `&lt;`, 0.1-0.2 s for 500 kB of `<` or of
 * short elements, and its open-element stack grows by `unshift` (100 000 nested `<div>`: 1.6 s). This reads
 * each character a bounded number of times, builds no tree and allocates little per tag.
 */
export function htmlToText(html: string): string {
  const out = new TextWriter(html.length + 1);
  let at = 0;
  while (at < html.length) {
    const code = html.charCodeAt(at);
    if (code === 38 /* & */) {
      at = writeReference(html, at, out);
      continue;
    }
    const next = html.charCodeAt(at + 1);
    if (code !== 60 /* < */ || !(isLetter(next) || next === 47 || next === 33 || next === 63)) {
      out.char(code);
      at += 1;
      continue;
    }
    if (html.startsWith('!--', at + 1)) {
      const close = html.indexOf('-->', at + 4);
      at = close === -1 ? html.length : close + 3;
      continue;
    }
    const closing = next === 47;
    const nameStart = at + (closing ? 2 : 1);
    let nameEnd = nameStart;
    while (nameEnd < html.length && isNameChar(html.charCodeAt(nameEnd))) nameEnd += 1;
    const name = nameEnd - nameStart <= longestName ? html.slice(nameStart, nameEnd).toLowerCase() : '';
    at = tagEnd(html, nameEnd);
    if (closing) {
      if (blocks.has(name)) out.lineBreak();
    } else if (name === 'br') {
      out.lineBreak();
    } else if (hidden.has(name)) {
      at = hiddenContentEnd(html, name, at);
    }
  }
  return out
    .toString()
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
