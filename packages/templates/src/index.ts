export { maxHtmlDepth } from './html-depth.js';
export { maxPlaceholders } from './liquid-engine.js';
export { type MergeContact } from './merge-scope.js';
export { renderEmail, type ContentFormat, type EmailTemplate } from './render-email.js';
export { TemplateError } from './template-error.js';
export { stepSubject } from './step-subject.js';
