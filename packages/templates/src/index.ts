export { applyMergeFields, escapeHtml, mergeFieldNames, type MergeContact } from './merge-fields.js';
export {
  renderEmail,
  TemplateError,
  type ContentFormat,
  type EmailTemplate,
  type RenderedEmail,
} from './render-email.js';
