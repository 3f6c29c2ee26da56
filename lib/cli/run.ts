/**
 * `typebook run PLAYBOOK`: ansible-playbook's flags, over runPlaybook. `typebook validate PLAYBOOK` checks
 * the whole run (as `run --syntax-check`) and reports every problem at once.
 */
import { Command, Option } from 'commander';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseKeyValue } from '../playbook/kv.js';
import { isPlainObject } from '../modules/coerce.js';
import { listPlays, runPlaybook, validateRun, type CommandLineDefaults, type RunEvent } from '../engine/index.js';
import { connectionKind, serveKeeper, type PersistOptions } from '../connection/index.js';
import { jsonRenderer, lineRenderer, treeRenderer } from '../output/index.js';
import { formatProblem, parseYaml, problem, ProblemError, type Problem } from '../source/index.js';
import { promptSecret } from './prompt.js';
import { findAnsibleConfig, readAnsibleConfig } from './ansible-cfg.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const collectList = (value: string, previous: string[]): string[] => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

/** -e as ansible-playbook takes it: key=value words, a JSON/YAML mapping, or @FILE */
export function parseExtraVars(values: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const problems: Problem[] = [];
  for (const value of values) {
    let parsed: unknown;
    const where = { file: value.startsWith('@') ? value.slice(1) : '<-e>', line: 0, col: 0 };
    if (value.startsWith('@')) {
      let text: string;
      try {
        text = readFileSync(value.slice(1), 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
        problems.push(problem({ file: '<-e>', line: 0, col: 0 }, `-e ${value}: cannot read ${value.slice(1)} (${why})`, { expected: 'a YAML or JSON file of variables' }));
        continue;
      }
      const loaded = parseYaml(text, value.slice(1));
      problems.push(...loaded.problems);
      parsed = loaded.value ?? {};
    } else if (/^\s*[{[]/.test(value)) {
      const loaded = parseYaml(value, '<-e>');
      problems.push(...loaded.problems);
      parsed = loaded.value;
    } else {
      parsed = parseKeyValue(value).args;
      const rest = parseKeyValue(value).rest;
      if (rest !== '') problems.push(problem(where, `-e '${value}': '${rest}' is not key=value`, { expected: 'key=value words, a JSON or YAML mapping, or @FILE' }));
    }
    if (parsed !== undefined && !isPlainObject(parsed)) problems.push(problem(where, `-e '${value}' is not a mapping`, { expected: 'key=value words, a JSON or YAML mapping, or @FILE' }));
    else Object.assign(out, parsed);
  }
  if (problems.some((p) => p.severity === 'error')) throw new ProblemError(problems);
  return out;
}

interface RunFlags {
  inventory: string[];
  limit?: string;
  tags: string[];
  skipTags: string[];
  startAtTask?: string;
  extraVars: string[];
  forks: string;
  verbose: number;
  check?: boolean;
  diff?: boolean;
  syntaxCheck?: boolean;
  listHosts?: boolean;
  listTasks?: boolean;
  forceHandlers?: boolean;
  rolesPath: string[];
  json?: string;
  knownHosts?: string;
  hostKeyChecking: boolean;
  askBecomePass?: boolean;
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: string;
  user?: string;
  connection?: string;
  privateKey?: string;
  timeout?: string;
}

function addRunOptions(command: Command): Command {
  return command
    .option('-i, --inventory <source>', 'inventory file or directory (repeatable)', collect, [])
    .option('-l, --limit <pattern>', 'further limit hosts to this pattern (or @FILE of host names)')
    .option('-t, --tags <tags>', 'only run tasks tagged with these (repeatable, comma-separated)', collectList, [])
    .option('--skip-tags <tags>', 'skip tasks tagged with these (repeatable, comma-separated)', collectList, [])
    .option('--start-at-task <name>', 'start at the task with this name')
    .option('-e, --extra-vars <vars>', 'key=value, a JSON/YAML mapping, or @FILE (repeatable)', collect, [])
    .option('-f, --forks <n>', 'hosts at once', '20')
    .addOption(new Option('-v, --verbose', 'more output (-vvv for more)').argParser((_v: string, previous: number) => previous + 1).default(0))
    .option('-C, --check', 'change nothing: report what would change')
    .option('-D, --diff', 'show the differences of changed files')
    .option('--syntax-check', 'check the playbook and stop')
    .option('--list-hosts', 'list the hosts each play would run on')
    .option('--list-tasks', 'list the tasks each play would run')
    .option('--force-handlers', 'run notified handlers on failed hosts too')
    .option('--roles-path <dir>', 'more directories to find roles in (repeatable)', collect, [])
    .option('--json <file>', "write every event as a JSON line to FILE ('-': standard output, which then carries only JSON; the usual output goes to standard error)")
    .option('-K, --ask-become-pass', 'ask for the become (sudo/su) password; it is never echoed, logged or put on a command line')
    .option('-b, --become', 'run operations with become (under any become keyword or variable of the playbook)')
    .option('--become-user <user>', 'become this user (root)')
    .option('--become-method <method>', 'sudo or su')
    .option('-u, --user <user>', 'connect as this user (under remote_user and ansible_user)')
    .option('-c, --connection <type>', 'ssh or local (under the connection keyword and ansible_connection)')
    .option('--private-key <file>', 'the SSH key to connect with (under ansible_private_key_file)')
    .option('-T, --timeout <seconds>', 'SSH connection timeout in seconds (10)')
    .option('--known-hosts <file>', 'known_hosts file to verify host keys against')
    .option('--no-host-key-checking', 'do not verify SSH host keys (explicit, never the default)');
}

/** The flags with ansible.cfg's settings where the command line gave none (the command line wins, as in Ansible). */
function withAnsibleConfig<T extends Partial<RunFlags>>(flags: T, command: Command): T {
  const file = findAnsibleConfig();
  if (file === undefined) return flags;
  const cfg = readAnsibleConfig(file);
  if (cfg.problems.length > 0) throw new ProblemError(cfg.problems);
  if (cfg.ignored.length > 0) process.stderr.write(`[WARNING]: ${file}: typebook does not use ${cfg.ignored.join(', ')}\n`);
  const unset = (name: keyof RunFlags) => command.getOptionValueSource(name) !== 'cli';
  const out: Partial<RunFlags> = { ...flags };
  if (cfg.inventory && unset('inventory')) out.inventory = cfg.inventory;
  if (cfg.rolesPath && unset('rolesPath')) out.rolesPath = cfg.rolesPath;
  if ('forks' in flags && cfg.forks !== undefined && unset('forks')) out.forks = String(cfg.forks);
  if ('forks' in flags) {
    if (cfg.remoteUser !== undefined && unset('user')) out.user = cfg.remoteUser;
    if (cfg.privateKeyFile !== undefined && unset('privateKey')) out.privateKey = cfg.privateKeyFile;
    if (cfg.timeout !== undefined && unset('timeout')) out.timeout = String(cfg.timeout);
    if (cfg.hostKeyChecking === false && unset('hostKeyChecking')) out.hostKeyChecking = false;
    if (cfg.become !== undefined && unset('become')) out.become = cfg.become;
    if (cfg.becomeUser !== undefined && unset('becomeUser')) out.becomeUser = cfg.becomeUser;
    if (cfg.becomeMethod !== undefined && unset('becomeMethod')) out.becomeMethod = cfg.becomeMethod;
    if (cfg.becomeAskPass !== undefined && unset('askBecomePass')) out.askBecomePass = cfg.becomeAskPass;
  }
  return out as T;
}

/** -b, --become-user, --become-method, -u, -c, --private-key as ansible-playbook means them; a bad value is a usage error. */
function commandLineDefaults(flags: RunFlags): CommandLineDefaults | undefined {
  const out: CommandLineDefaults = {};
  if (flags.become) out.become = true;
  if (flags.becomeUser !== undefined) out.becomeUser = flags.becomeUser;
  if (flags.becomeMethod !== undefined) {
    if (flags.becomeMethod !== 'sudo' && flags.becomeMethod !== 'su') throw new ProblemError([problem({ file: '<--become-method>', line: 0, col: 0 }, `--become-method ${flags.becomeMethod} is not supported`, { expected: 'sudo or su' })]);
    out.becomeMethod = flags.becomeMethod;
  }
  if (flags.user !== undefined) out.remoteUser = flags.user;
  if (flags.connection !== undefined) {
    try {
      out.connection = connectionKind('<--connection>', { ansible_connection: flags.connection });
    } catch (error) {
      throw new ProblemError([problem({ file: '<--connection>', line: 0, col: 0 }, (error as Error).message)]);
    }
  }
  if (flags.privateKey !== undefined) out.privateKey = flags.privateKey;
  return Object.keys(out).length > 0 ? out : undefined;
}

function printListing(playbook: string, flags: RunFlags, validated: Awaited<ReturnType<typeof validateRun>>): void {
  const out = (line: string) => process.stdout.write(line + '\n');
  out('');
  out(`playbook: ${playbook}`);
  listPlays(validated, { only: flags.tags, skip: flags.skipTags }, flags.limit).forEach((play, i) => {
    out('');
    out(`  play #${i + 1} (${play.pattern}): ${play.name}\tTAGS: [${play.tags.join(', ')}]`);
    if (flags.listHosts) {
      out(`    pattern: ['${play.pattern}']`);
      out(`    hosts (${play.hosts.length}):`);
      for (const h of play.hosts) out(`      ${h}`);
    }
    if (flags.listTasks) {
      out('    tasks:');
      for (const t of play.tasks) out(`      ${t.name}\tTAGS: [${t.tags.join(', ')}]`);
    }
  });
}

/**
 * Connections kept open between runs (see lib/connection/keeper.ts), as Ansible's default ControlPersist=60s:
 * TYPEBOOK_PERSIST is the idle time in seconds, 0 turns it off.
 */
export function persistOptions(setting: string | undefined): { persist?: PersistOptions } {
  const seconds = setting === undefined || setting.trim() === '' ? 60 : Number(setting);
  if (!Number.isFinite(seconds) || seconds < 0) throw new ProblemError([problem({ file: '<TYPEBOOK_PERSIST>', line: 0, col: 0 }, `TYPEBOOK_PERSIST is ${JSON.stringify(setting)}`, { expected: 'the seconds an unused connection is kept open (0: none)' })]);
  if (seconds === 0 || process.argv[1] === undefined) return {};
  // the built keeper loads the connection layer only; from sources (tsx), the CLI's own hidden command serves
  const lean = fileURLToPath(new URL('../connection/keeper-main.js', import.meta.url));
  const command = existsSync(lean) ? [process.execPath, lean] : [process.execPath, ...process.execArgv, process.argv[1], 'keep-connections'];
  return { persist: { command, idleMs: seconds * 1000 } };
}

export function registerRunCommand(program: Command): void {
  program
    .command('keep-connections <socket> <idle-ms>', { hidden: true })
    .description('the connection keeper, started by a run (see TYPEBOOK_PERSIST)')
    .action(async (socket: string, idleMs: string) => {
      await serveKeeper(socket, Number(idleMs));
    });

  addRunOptions(program.command('run'))
    .description('run a playbook, as ansible-playbook does')
    .argument('<playbook>', 'the playbook file')
    .action(async (playbook: string, given: RunFlags, command: Command) => {
      const flags = withAnsibleConfig(given, command);
      if (flags.syntaxCheck || flags.listHosts || flags.listTasks) {
        const validated = await validateRun({ playbook, inventory: flags.inventory, rolesPath: flags.rolesPath, extraVars: parseExtraVars(flags.extraVars), ...(flags.limit !== undefined ? { limit: flags.limit } : {}) });
        for (const w of validated.problems) process.stderr.write(`[WARNING]: ${formatProblem(w)}\n`);
        if (flags.listHosts || flags.listTasks) printListing(playbook, flags, validated);
        else process.stdout.write(`\nplaybook: ${playbook}\n`);
        return;
      }
      const extraVars = parseExtraVars(flags.extraVars);
      const forks = Number.parseInt(flags.forks, 10);
      if (!Number.isInteger(forks) || forks < 1) throw new ProblemError([problem({ file: '<--forks>', line: 0, col: 0 }, `--forks ${flags.forks} is not a positive number`)]);

      const listeners: ((e: RunEvent) => void)[] = [];
      // with --json -, standard output carries only the JSON lines: what people read goes to standard error
      const human = flags.json === '-' ? process.stderr : process.stdout;
      const humanColor = !process.env.NO_COLOR && human.isTTY === true;
      const tree = human.isTTY ? treeRenderer({ stream: human, color: humanColor, diff: Boolean(flags.diff), verbosity: flags.verbose }) : undefined;
      listeners.push(tree ? tree.onEvent : lineRenderer({ write: (t) => human.write(t), color: humanColor, verbosity: flags.verbose, diff: Boolean(flags.diff) }));
      let jsonStream: NodeJS.WritableStream | undefined;
      if (flags.json) {
        jsonStream = flags.json === '-' ? process.stdout : createWriteStream(flags.json);
        listeners.push(jsonRenderer((line) => jsonStream!.write(line)));
      }
      const commandLine = commandLineDefaults(flags);
      const timeout = flags.timeout === undefined ? undefined : Number(flags.timeout);
      if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) throw new ProblemError([problem({ file: '<--timeout>', line: 0, col: 0 }, `--timeout ${flags.timeout} is not a positive number of seconds`)]);
      const becomePassword = flags.askBecomePass ? await promptSecret('BECOME password: ') : undefined;
      // as ansible-playbook: a first Ctrl-C lets the running tasks finish, a second (or SIGTERM) kills their commands
      const abort = new AbortController();
      const kill = new AbortController();
      const stop = (signal: NodeJS.Signals) => {
        if (kill.signal.aborted) return;
        if (abort.signal.aborted || signal === 'SIGTERM') {
          process.stderr.write(`\n${signal}: killing the running commands\n`);
          abort.abort();
          kill.abort();
          return;
        }
        process.stderr.write(`\n${signal}: no new task will start; waiting for the running ones to finish (Ctrl-C again to kill them)\n`);
        abort.abort();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      try {
        const result = await runPlaybook({
          playbook,
          inventory: flags.inventory,
          ...(flags.limit ? { limit: flags.limit } : {}),
          tags: flags.tags,
          skipTags: flags.skipTags,
          ...(flags.startAtTask ? { startAtTask: flags.startAtTask } : {}),
          extraVars,
          forks,
          verbosity: flags.verbose,
          check: Boolean(flags.check),
          diff: Boolean(flags.diff),
          forceHandlers: Boolean(flags.forceHandlers),
          rolesPath: flags.rolesPath,
          ...(becomePassword !== undefined ? { becomePassword } : {}),
          ssh: {
            ...(flags.knownHosts ? { knownHostsFile: flags.knownHosts } : {}),
            ...(flags.hostKeyChecking === false ? { hostKeyChecking: false } : {}),
            ...(timeout !== undefined ? { connectTimeoutMs: timeout * 1000 } : {}),
            ...persistOptions(process.env.TYPEBOOK_PERSIST),
          },
          ...(commandLine ? { commandLine } : {}),
          signal: abort.signal,
          killSignal: kill.signal,
          onEvent: (event) => listeners.forEach((l) => l(event)),
        });
        process.exitCode = result.exitCode;
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await tree?.done();
        if (jsonStream && jsonStream !== process.stdout) await new Promise<void>((resolve) => jsonStream!.end(resolve));
      }
    });

  program
    .command('validate')
    .description('check a playbook and everything it uses (inventory, roles, templates) without touching a host')
    .argument('<playbook>', 'the playbook file')
    .option('-i, --inventory <source>', 'inventory file or directory (repeatable)', collect, [])
    .option('--roles-path <dir>', 'more directories to find roles in (repeatable)', collect, [])
    .option('-e, --extra-vars <vars>', 'extra variables as the run would get them: key=value, JSON/YAML, or @file (repeatable)', collect, [])
    .option('-l, --limit <pattern>', 'only the hosts the run would have')
    .action(async (playbook: string, given: { inventory: string[]; rolesPath: string[]; extraVars: string[]; limit?: string }, command: Command) => {
      const flags = withAnsibleConfig(given, command);
      const validated = await validateRun({ playbook, inventory: flags.inventory, rolesPath: flags.rolesPath, extraVars: parseExtraVars(flags.extraVars), ...(flags.limit !== undefined ? { limit: flags.limit } : {}) });
      for (const w of validated.problems) process.stderr.write(`${formatProblem(w)}\n`);
      process.stdout.write(`${playbook}: valid (${validated.playbook.plays.length} play${validated.playbook.plays.length === 1 ? '' : 's'})\n`);
    });
}
