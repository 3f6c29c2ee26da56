/** The shared readings of Ansible's yes/no words and Python's fnmatch, against Ansible's and Python's own code. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { ansibleBoolean, fnmatch, pythonStringRepr, shlexSplit } from '../../lib/ansible/index.js';

/** runs a Python program with JSON on stdin and returns its JSON answer */
function python(program: string, input: unknown): unknown {
  // Debian's python3, where Debian's ansible is installed
  const run = spawnSync('/usr/bin/python3', ['-c', program], { input: JSON.stringify(input), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

describe("Ansible's and Python's shared semantics", () => {
  it('reads yes/no words as Ansible boolean() does', () => {
    const values: unknown[] = ['yes', 'Yes', ' on ', 'y', 't', 'TRUE', '1', 'no', 'N', 'off', 'f', 'false', '0', 1, 0, true, false, '1.0', '0.0', 'maybe', '', 2, null];
    const ansible = python(
      `import json, sys
from ansible.module_utils.parsing.convert_bool import boolean
out = []
for v in json.load(sys.stdin):
    try: out.append(boolean(v, strict=True))
    except TypeError: out.append(None)
print(json.dumps(out))`,
      values,
    ) as (boolean | null)[];
    expect(values.map((v) => ansibleBoolean(v) ?? null)).to.deep.equal(ansible);
  });

  it("writes a string's repr() as Python does", () => {
    const strings = ['plain', "it's", 'say "hi"', 'both \' and "', 'tab\tnew\nline\r', 'back\\slash', '\u0000\u001f\u007f\u00a0\u00ad', 'zero\u200bwidth', 'été ünïcode', '\u2028\u2029', '😀 \u{1f3fb}', ' lead and trail '];
    const python3 = python('import json, sys\nprint(json.dumps([repr(s) for s in json.load(sys.stdin)]))', strings) as string[];
    expect(strings.map(pythonStringRepr)).to.deep.equal(python3);
  });

  it('splits command lines as Python shlex.split does, and refuses what it refuses', () => {
    const lines = ['ls -l /tmp', "echo 'a b' \"c d\"", 'a\\ b', '"x\\"y" "\\$HOME" "a\\b"', "it''s", '""', "'' x", '-o ProxyCommand="ssh -W %h:%p jump"', 'tab\tsep\nline', 'a"b"c', "unclosed 'quote", 'trailing \\'];
    const python3 = python(
      `import json, sys, shlex
out = []
for line in json.load(sys.stdin):
    try: out.append(shlex.split(line))
    except ValueError: out.append(None)
print(json.dumps(out))`,
      lines,
    ) as (string[] | null)[];
    expect(
      lines.map((l) => {
        try {
          return shlexSplit(l);
        } catch {
          return null;
        }
      }),
    ).to.deep.equal(python3);
  });

  it('matches shell-style patterns as fnmatch.fnmatchcase does', () => {
    const cases: [string, string][] = [['web1', 'web*'], ['web1', 'w?b1'], ['web1', 'web[0-9]'], ['webx', 'web[!0-9]'], ['2.6.1-1', '2.6*'], ['a.b', 'a?b'], ['a]b', 'a]b'], ['a[b', 'a[b'], ['Web1', 'web*'], ['x', '[!]'], ['line\nbreak', 'line*']];
    const python3 = python('import json, sys, fnmatch\nprint(json.dumps([fnmatch.fnmatchcase(n, p) for n, p in json.load(sys.stdin)]))', cases) as boolean[];
    expect(cases.map(([n, p]) => fnmatch(n, p))).to.deep.equal(python3);
  });
});
