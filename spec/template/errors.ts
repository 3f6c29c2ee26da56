/** The TemplateError a render throws, for specs that check its message and place. */
import { expect } from 'chai';
import { TemplateError } from '../../lib/template/index.js';

export function errorOf(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(TemplateError);
    return err as TemplateError;
  }
  throw new Error('expected a TemplateError');
}
