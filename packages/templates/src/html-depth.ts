import { Parser } from 'htmlparser2';
import { TemplateError } from './template-error.js';

/**
 * htmlparser2 keeps its open elements with `unshift`, so each level of nesting costs as much as the levels
 * above it (100 000 nested `<div>` took 1.6 s), and MJML recurses per level (20 000 nested `<mj-section>` ran
 * out of stack after 0.4 s). No email nests this deep: MJML's own output nests about 20.
 */
export const maxHtmlDepth = 256;

/** Refuses markup nested deeper than `maxHtmlDepth`, in one streaming pass (void elements close themselves). */
export function assertNestingDepth(markup: string): void {
  let depth = 0;
  new Parser({
    onopentagname() {
      depth += 1;
      if (depth > maxHtmlDepth) throw new TemplateError(`the markup nests deeper than ${maxHtmlDepth} elements`);
    },
    onclosetag() {
      depth -= 1;
    },
  }).end(markup);
}
