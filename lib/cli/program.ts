/**
 * The `typebook` command: a thin layer that parses flags, calls the library, prints, and sets the exit code.
 * Each subcommand lives in its own file and registers itself on the program here.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { ProblemError, formatProblem, sortProblems } from '../source/index.js';
import { registerInventoryCommand } from './inventory.js';
import { registerLabCommand } from './lab.js';
import { registerProbeCommand } from './probe.js';
import { registerRunCommand } from './run.js';
import { registerSchemaCommand } from './schema.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('typebook')
    .description('Typed, Ansible-compatible playbooks: every mistake caught before a host is touched')
    .version(pkg.version)
    .showHelpAfterError()
    .exitOverride()
    // a repeatable option's empty list and a quoted number say nothing worth reading: `(default: 20)`, no `(default: [])`
    .configureHelp({
      optionDescription: (option) => {
        const value: unknown = option.defaultValue;
        const shown = option.defaultValueDescription ?? (typeof value === 'string' ? value : JSON.stringify(value));
        const silent = value === undefined || option.negate || (Array.isArray(value) && value.length === 0) || value === false || value === 0;
        return silent ? option.description : `${option.description} (default: ${shown})`;
      },
    });
  registerInventoryCommand(program);
  registerRunCommand(program);
  registerLabCommand(program);
  registerProbeCommand(program);
  registerSchemaCommand(program);
  return program;
}

/**
 * Runs the command line and returns the exit code (as ansible-playbook: 1 is bad input or usage).
 * Subcommands set `process.exitCode` for other outcomes.
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 1;
    if (err instanceof ProblemError) {
      for (const p of sortProblems(err.problems)) process.stderr.write(formatProblem(p) + '\n');
      return 1;
    }
    process.stderr.write(`typebook: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
