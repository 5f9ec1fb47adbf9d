import { describe, expect, it } from '@jest/globals';
import { escapeHtml, neutralizeScriptUrl } from './html-escape.js';

describe('escapeHtml', () => {
  it('escapes the five characters that matter in text and attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});

describe('escapeHtml on text beyond ASCII', () => {
  it('keeps every other character as it is, lone surrogates and astral characters included', () => {
    expect(escapeHtml('Zoë 😀 <\ud800> & “x”')).toBe('Zoë 😀 &lt;\ud800&gt; &amp; “x”');
    expect(escapeHtml('plain')).toBe('plain');
  });
});

describe('neutralizeScriptUrl', () => {
  it.each([
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    ' \u0001javascript:alert(1)',
    'java\tscr\nipt:alert(1)',
    'vbscript:msgbox',
    'data:text/html,<script>alert(1)</script>',
  ])('prefixes %j so no browser runs it', (value) => {
    expect(neutralizeScriptUrl(value)).toBe(`unsafe:${value}`);
  });

  it.each(['https://example.com/a?b=javascript:', 'mailto:ada@example.com', 'data:image/png;base64,AA', 'Ada', ''])(
    'leaves %j as it is',
    (value) => {
      expect(neutralizeScriptUrl(value)).toBe(value);
    },
  );
});
