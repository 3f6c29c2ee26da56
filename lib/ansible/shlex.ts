/**
 * Python's shlex.split (posix mode, no comments), which Ansible uses for `command:`, `validate:` and
 * `ansible_ssh_common_args`: quotes and backslashes as Python's shlex reads them, which is not quite a POSIX
 * shell (inside double quotes a backslash escapes only `"` and `\`). Nothing is expanded.
 */

const WHITESPACE = ' \t\r\n';

export function shlexSplit(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`No closing quotation in: ${line}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new Error(`No closing quotation in: ${line}`);
        const d = line[i]!;
        if (d === '"') break;
        if (d === '\\') {
          if (i + 1 >= line.length) throw new Error(`No escaped character in: ${line}`);
          const next = line[i + 1]!;
          // only the quote and the backslash itself are escaped; otherwise the backslash stays
          word += next === '"' || next === '\\' ? next : d + next;
          i += 2;
          continue;
        }
        word += d;
        i++;
      }
      inWord = true;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new Error(`No escaped character in: ${line}`);
      word += line[i + 1];
      inWord = true;
      i += 2;
    } else if (WHITESPACE.includes(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
