/** Functions every template can call, as Jinja2 defines them: `range`, `dict`, `namespace`. */
import { Namespace, PyFunction, TemplateRuntimeError, defineKey, entries, isDict, iterate, str, toNumber } from './python.js';

const rangeLimit = 1_000_000;

export const globals: Readonly<Record<string, PyFunction>> = {
  range: new PyFunction('range', (args) => {
    const [a, b, c] = args.map(toNumber);
    const [start, stop, step] = b === undefined ? [0, a ?? 0, 1] : [a!, b, c ?? 1];
    if (step === 0) throw new TemplateRuntimeError('range() arg 3 must not be zero');
    const count = Math.max(0, Math.ceil((stop - start) / step));
    if (count > rangeLimit) throw new TemplateRuntimeError(`range() of ${count} items is more than the limit of ${rangeLimit}`);
    return Array.from({ length: count }, (_, i) => start + i * step);
  }),
  dict: new PyFunction('dict', (args, kwargs) => {
    const out: Record<string, unknown> = {};
    for (const source of args) {
      if (isDict(source)) for (const [k, v] of entries(source)) defineKey(out, k, v);
      else for (const pair of iterate(source)) {
        const [k, v] = iterate(pair);
        defineKey(out, str(k), v);
      }
    }
    for (const [k, v] of entries(kwargs)) defineKey(out, k, v);
    return out;
  }),
  namespace: new PyFunction('namespace', (args, kwargs) => {
    const ns = new Namespace();
    for (const source of [...args, kwargs]) {
      if (!isDict(source)) throw new TemplateRuntimeError('namespace() takes keyword arguments or a mapping');
      for (const [k, v] of entries(source)) ns.attrs[k] = v;
    }
    return ns;
  }),
};
