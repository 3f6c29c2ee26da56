/**
 * Jinja2 templating as Ansible does it (see templar.ts). Parsing is nunjucks' (parse.ts); evaluation
 * with Python semantics is ours (evaluate.ts, python.ts), with Ansible's filters and tests.
 */
export { Templar, TemplateError, type Condition, type NameSink, type TemplarOptions, type Variables } from './templar.js';
export { filters } from './filters.js';
export { tests } from './tests.js';
