/**
 * The validators the build generates (ajv standalone code) judge exactly as the compiled ones do: same
 * errors, same paths, same schemas in the errors (the messages are built from them).
 */
import { expect } from 'chai';
import type { ValidateFunction } from 'ajv';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { findModule } from '../../lib/modules/index.js';
import { moduleSchemas, precompiledSource, schemaValidator } from '../../lib/playbook/validators.js';

describe('generated validators', function () {
  this.timeout(60_000);
  let generated: Record<string, ValidateFunction>;
  let dir: string;
  before(() => {
    // inside the project, so that the generated code's require('ajv/dist/runtime/...') resolves
    mkdirSync('node_modules/.cache', { recursive: true });
    dir = mkdtempSync(join('node_modules/.cache', 'typebook-validators-'));
    const file = join(dir, 'validators.cjs');
    writeFileSync(file, precompiledSource());
    generated = createRequire(import.meta.url)(join(process.cwd(), file)) as Record<string, ValidateFunction>;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // the generated module schemas carry an $id (their name in the generated code); nothing else may differ
  const withoutId = (schema: unknown) => {
    if (!schema || typeof schema !== 'object' || !('$id' in schema)) return schema;
    const { $id: _id, ...rest } = schema as Record<string, unknown>;
    return rest;
  };
  const errorsOf = (validate: ValidateFunction, data: unknown) =>
    validate(data) ? [] : validate.errors!.map(({ instancePath, keyword, params, parentSchema, data: d }) => ({ instancePath, keyword, params, parentSchema: withoutId(parentSchema), data: d }));

  it('a playbook document', () => {
    const doc = [{ hosts: 'all', gather_facts: 'maybe', serial: 'x', tasks: [{ name: 1, registr: 'out', command: 'ls' }, { block: [], rescue: {} }] }];
    const compiled = schemaValidator().getSchema('typebook#/$defs/playbook')!;
    expect(errorsOf(generated.doc_playbook!, doc)).to.deep.equal(errorsOf(compiled, doc)).and.to.not.be.empty;
  });

  it('a module\'s arguments, loose and exact', () => {
    const sysctl = findModule('sysctl')!;
    const schemas = moduleSchemas(sysctl);
    const args = { name: 'net.ipv4.ip_forward', value: 1, reload: 'sometimes', vlaue: 2 };
    expect(errorsOf(generated.m_sysctl_loose!, args)).to.deep.equal(errorsOf(schemaValidator().compile(schemas.loose), args)).and.to.not.be.empty;
    expect(errorsOf(generated.m_sysctl_exact!, args)).to.deep.equal(errorsOf(schemaValidator().compile(schemas.exact), args)).and.to.not.be.empty;
  });
});
