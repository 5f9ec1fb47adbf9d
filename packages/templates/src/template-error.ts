/** Which part of a step a template error is in. */
export type TemplatePart = 'subject' | 'content';

/** A template that cannot be saved or rendered: the author's to fix, never worth a retry. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';

  constructor(
    message: string,
    readonly part: TemplatePart = 'content',
  ) {
    super(message);
  }
}
