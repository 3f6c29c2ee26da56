/** Python's fnmatch, which Ansible uses for host patterns, package versions, fact filters and task names. */

/** Python's fnmatch.translate: `*`, `?`, `[seq]`, `[!seq]`, whole-name match, case-sensitive. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  let i = 0;
  while (i < glob.length) {
    const c = glob[i++]!;
    if (c === '*') {
      while (glob[i] === '*') i++;
      out += '[\\s\\S]*';
    } else if (c === '?') {
      out += '[\\s\\S]';
    } else if (c === '[') {
      let j = i;
      if (glob[j] === '!') j++;
      if (glob[j] === ']') j++;
      while (j < glob.length && glob[j] !== ']') j++;
      if (j >= glob.length) {
        out += '\\[';
        continue;
      }
      let stuff = glob.slice(i, j).replace(/\\/g, '\\\\').replace(/]/g, '\\]');
      i = j + 1;
      if (stuff === '') out += '(?!)';
      else if (stuff === '!') out += '[\\s\\S]';
      else {
        if (stuff[0] === '!') stuff = '^' + stuff.slice(1);
        else if (stuff[0] === '^' || stuff[0] === '[') stuff = '\\' + stuff;
        out += `[${stuff}]`;
      }
    } else {
      out += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    }
  }
  return new RegExp(`^(?:${out})$`);
}

/** fnmatch.fnmatchcase: the whole of `name` matches the shell-style `pattern`. */
export function fnmatch(name: string, pattern: string): boolean {
  return globToRegExp(pattern).test(name);
}
