import { expect } from 'chai';
import { pythonJson, pythonRepr, pythonStr } from '../../lib/inventory/index.js';

describe('inventory: Python-compatible output', function () {
  it('prints JSON as json.dumps(sort_keys=True, indent=4, ensure_ascii=False)', function () {
    expect(pythonJson({ b: [1, 'é', null], a: {}, c: [] })).to.equal('{\n    "a": {},\n    "b": [\n        1,\n        "é",\n        null\n    ],\n    "c": []\n}');
  });

  it('prints floats as Python repr does', function () {
    expect(pythonJson(2.5)).to.equal('2.5');
    expect(pythonJson(1.5e-7)).to.equal('1.5e-07');
    expect(pythonJson(6.02e23)).to.equal('6.02e+23');
    expect(pythonJson(1e16)).to.equal('1e+16');
    expect(pythonJson(0.0001)).to.equal('0.0001');
    expect(pythonJson(Number.POSITIVE_INFINITY)).to.equal('Infinity');
    expect(pythonRepr(Number.NaN)).to.equal('nan');
  });

  it('prints values as Python str()/repr() do, for --graph --vars', function () {
    expect(pythonStr('plain')).to.equal('plain');
    expect(pythonRepr({ a: [1, true, null], b: "it's" })).to.equal(`{'a': [1, True, None], 'b': "it's"}`);
    expect(pythonRepr('both \' and "')).to.equal(`'both \\' and "'`);
    expect(pythonRepr('tab\there\n\u0001')).to.equal(`'tab\\there\\n\\x01'`);
  });
});
