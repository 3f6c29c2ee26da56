/**
 * Ansible's `key=value` argument strings (`sysctl: name=vm.swappiness value=10`, `command: ls creates=/x`),
 * split as Ansible's split_args/parse_kv do: spaces separate words except inside quotes and Jinja blocks.
 */

/** The words of an argument string, each with its quotes still on. */
export function splitArgs(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  let jinjaDepth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const two = text.slice(i, i + 2);
    if (quote === undefined && (two === '{{' || two === '{%' || two === '{#')) {
      jinjaDepth++;
      word += two;
      i++;
      continue;
    }
    if (jinjaDepth > 0 && (two === '}}' || two === '%}' || two === '#}')) {
      jinjaDepth--;
      word += two;
      i++;
      continue;
    }
    if (jinjaDepth === 0) {
      if (quote === undefined && (c === '"' || c === "'") && text[i - 1] !== '\\') {
        quote = c;
      } else if (quote !== undefined && c === quote && text[i - 1] !== '\\') {
        quote = undefined;
      } else if (quote === undefined && /\s/.test(c)) {
        if (word !== '') words.push(word);
        word = '';
        continue;
      }
    }
    word += c;
  }
  if (quote !== undefined) throw new Error(`unbalanced quote (${quote}) in: ${text}`);
  if (jinjaDepth > 0) throw new Error(`unclosed Jinja block in: ${text}`);
  if (word !== '') words.push(word);
  return words;
}

function unquote(value: string): string {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]!)) {
    return value.slice(1, -1).replace(new RegExp(`\\\\${value[0]}`, 'g'), value[0]!);
  }
  return value;
}

export interface ParsedArgs {
  args: Record<string, string>;
  /** the words that were not key=value (or not a known key, for free-form modules), joined by spaces */
  rest: string;
}

/**
 * Splits `k=v` words out of an argument string. With `onlyKeys`, as for free-form modules (command, shell),
 * only those keys are taken out and every other word stays in `rest`, quotes included.
 */
export function parseKeyValue(text: string, onlyKeys?: ReadonlySet<string>): ParsedArgs {
  const args: Record<string, string> = {};
  const rest: string[] = [];
  for (const word of splitArgs(text)) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(word);
    if (match && (!onlyKeys || onlyKeys.has(match[1]!))) args[match[1]!] = unquote(match[2]!);
    else rest.push(word);
  }
  return { args, rest: rest.join(' ') };
}
