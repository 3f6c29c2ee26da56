/**
 * runPlaybook: the library's entry point for a run. Loads the inventory and the playbook, validates the
 * whole run (nothing runs when anything is wrong), then runs the plays and reports typed events.
 */
import { setMaxListeners } from 'node:events';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConnectionPool, becomeFromSettings, connectionProblems, settingsFromVars, type ConnectionSettings, type SshOptions } from '../connection/index.js';
import { Inventory, loadInventory, loadVarsDir, type VarsDir } from '../inventory/index.js';
import { checkTemplates } from '../playbook/check.js';
import { loadIncludedRole, loadIncludedTasks, loadPlaybook } from '../playbook/load.js';
import type { InheritedKeywords, Playbook, Vars } from '../playbook/types.js';
import { ProblemError, loadYamlFile, problem, sortProblems, throwIfErrors, type Problem } from '../source/index.js';
import { isPlainObject } from '../modules/coerce.js';
import { Templar } from '../template/index.js';
import { OMIT_PREFIX, VariableStore } from '../vars/store.js';
import type { EventListener, HostStats, RunEvent } from './events.js';
import { PlayRunner, type RunState } from './play.js';
import { checkRoleArgumentsBeforeRun } from './preflight.js';
import type { TaskEnvironment } from './task.js';

/** What ansible-playbook's connection flags set: defaults that any playbook keyword or host variable overrides. */
export interface CommandLineDefaults {
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: 'sudo' | 'su';
  remoteUser?: string;
  connection?: 'ssh' | 'local';
  privateKey?: string;
}

export interface RunPlaybookOptions {
  playbook: string;
  /** inventory sources (-i); none means the implicit localhost only */
  inventory?: readonly string[];
  /** --limit: a host pattern, or @FILE with one host per line */
  limit?: string;
  tags?: readonly string[];
  skipTags?: readonly string[];
  startAtTask?: string;
  /** -e, already parsed */
  extraVars?: Vars;
  /** hosts at once (default 20) */
  forks?: number;
  verbosity?: number;
  check?: boolean;
  diff?: boolean;
  forceHandlers?: boolean;
  rolesPath?: readonly string[];
  ssh?: SshOptions;
  /** become password (--ask-become-pass), for hosts whose variables give none: sent on stdin only */
  becomePassword?: string;
  /** ansible-playbook's -b, --become-user, --become-method, -u, -c, --private-key: below every keyword and variable */
  commandLine?: CommandLineDefaults;
  /** abort: no new task starts; running ones finish */
  signal?: AbortSignal;
  /** abort: the commands in flight are killed, their tasks fail, and the run ends */
  killSignal?: AbortSignal;
  onEvent?: EventListener;
}

/**
 * The connection settings of every host a play targets, checked as connecting will read them (a port that is
 * no number, a connection typebook lacks), at the line that set the variable at fault.
 */
function checkConnectionVars(inventory: Inventory, store: VariableStore, playDirs: VarsDir[], hosts: Iterable<string>): Problem[] {
  const out: Problem[] = [];
  for (const host of hosts) {
    let settings: ConnectionSettings;
    try {
      settings = settingsFromVars(store.view(host));
    } catch {
      // a connection variable that does not render here (it reads facts or play vars): the run decides
      continue;
    }
    for (const error of connectionProblems(host, settings)) {
      // the older ssh names win when both are set, as settingsFromVars reads them
      const names = error.variable === undefined ? [] : [error.variable.replace(/^ansible_(host|port|user)$/, 'ansible_ssh_$1'), error.variable];
      const at = names.map((n) => inventory.hostVarPosition(host, n, playDirs)).find((p) => p !== undefined) ?? inventory.getHost(host)?.pos;
      out.push(problem(at, `host '${host}': ${error.message}`));
    }
  }
  return out;
}

/** Every name some host's variables hold before the play starts: inventory, vars directories, `-e`, magic. */
function definedNames(inventory: Inventory, store: VariableStore): Set<string> {
  const names = new Set<string>();
  const hosts = [...inventory.hosts.keys()];
  for (const host of hosts.length > 0 ? hosts : ['localhost']) {
    for (const key of Object.keys(store.raw(host))) names.add(key);
    for (const key of Object.keys(store.magic(host))) names.add(key);
  }
  return names;
}

export interface PlaybookRun {
  /** as ansible-playbook: 0 all well; 2 a host failed; 4 a host was unreachable (6: both) */
  exitCode: number;
  stats: Record<string, HostStats>;
  warnings: Problem[];
  interrupted: boolean;
  durationMs: number;
  /** SSH/local requests per host: the "round trips" the benchmarks print */
  roundTrips: Record<string, number>;
}

export interface ValidatedRun {
  playbook: Playbook;
  inventory: Inventory;
  playDirs: VarsDir[];
  templar: Templar;
  /** warnings (errors throw) */
  problems: Problem[];
}

/**
 * Loads and checks everything a run needs, including role arguments against the inventory; throws a
 * ProblemError listing every error found.
 */
export async function validateRun(options: Pick<RunPlaybookOptions, 'playbook' | 'inventory' | 'rolesPath' | 'limit' | 'extraVars'>): Promise<ValidatedRun> {
  const warnings: Problem[] = [];
  const [inv, loaded] = await Promise.all([loadInventory(options.inventory ?? []), loadPlaybook(options.playbook, { ...(options.rolesPath ? { rolesPath: options.rolesPath } : {}) })]);
  // a string's `{% include %}` finds templates where Ansible's default loader does: in the playbook's directory
  const templar = new Templar({ onWarning: (p) => warnings.push(p), searchPath: [loaded.playbook.dir] });
  const problems = [...inv.problems, ...loaded.problems];
  const playDir = await loadVarsDir(loaded.playbook.dir, { groups: inv.inventory.groups.keys(), hosts: inv.inventory.hosts.keys() }, problems);
  const extraVars = options.extraVars ?? {};
  const store = new VariableStore(inv.inventory, { renderData: (value, vars) => templar.renderData(value, vars) }, extraVars, [playDir], {
    playbookDir: loaded.playbook.dir,
    playHosts: () => [],
    playBatch: () => [],
    playHostsAll: () => [],
    check: false,
    diff: false,
    verbosity: 0,
    omit: OMIT_PREFIX,
  });
  // templates are checked whatever else is wrong; undefined names only on a whole playbook (a task left out
  // by an error may be the one that registers a name)
  const whole = !problems.some((p) => p.severity === 'error');
  problems.push(...checkTemplates(loaded.playbook, templar, whole ? definedNames(inv.inventory, store) : undefined));
  if (!problems.some((p) => p.severity === 'error')) {
    const limit = await limitPattern(options.limit);
    // what each play's hosts: would select, as the run will (its warnings: a pattern that matches nothing)
    const targeted = new Set<string>();
    for (const play of loaded.playbook.plays) {
      try {
        const selection = inv.inventory.select(String(templar.renderString(play.hosts, extraVars, play.pos)), { at: play.pos, ...(limit ? { limit } : {}) });
        problems.push(...selection.problems);
        for (const host of selection.hosts) targeted.add(host);
        if (selection.hosts.length === 0 && selection.problems.length === 0) problems.push(problem(play.pos, `play '${play.name}': hosts '${play.hosts}' match no host${limit ? ` within --limit ${limit}` : ''}: it will be skipped`, { severity: 'warning' }));
      } catch {
        // a pattern from facts or hostvars: the run decides
      }
    }
    problems.push(...checkConnectionVars(inv.inventory, store, [playDir], targeted));
    problems.push(...checkRoleArgumentsBeforeRun({ playbook: loaded.playbook, inventory: inv.inventory, playDirs: [playDir], store, templar, extraVars, ...(limit ? { limit } : {}) }));
  }
  throwIfErrors(problems);
  return { playbook: loaded.playbook, inventory: inv.inventory, playDirs: [playDir], templar, problems: sortProblems([...problems, ...warnings]) };
}

async function limitPattern(limit: string | undefined): Promise<string | undefined> {
  if (!limit?.startsWith('@')) return limit;
  const text = await readFile(limit.slice(1), 'utf8');
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).join(',');
}

/** Runs a playbook; returns when every play is done (or the run was interrupted). */
export async function runPlaybook(options: RunPlaybookOptions): Promise<PlaybookRun> {
  const started = performance.now();
  const emit: EventListener = (event: RunEvent) => options.onEvent?.(event);
  const validated = await validateRun(options);
  for (const w of validated.problems) emit({ type: 'warning', problem: w });
  if (options.ssh?.hostKeyChecking === false || /^(false|no|off|0)$/i.test(process.env.ANSIBLE_HOST_KEY_CHECKING ?? '')) {
    emit({ type: 'warning', problem: problem({ file: '<ssh>', line: 0, col: 0 }, 'host key checking is off: an unknown host key is accepted unverified (a changed one is still refused)', { severity: 'warning' }) });
  }
  const { playbook, inventory, templar } = validated;
  const limit = await limitPattern(options.limit);
  // as ansible-playbook: a --limit that leaves no host is a mistake, not an empty run
  if (limit !== undefined && inventory.select('all', { limit }).hosts.length === 0) {
    throw new ProblemError([problem({ file: '<--limit>', line: 0, col: 0 }, `--limit '${options.limit}' matches no host of the inventory`)]);
  }
  const signal = options.signal ?? new AbortController().signal;
  // every host's running task listens to these at once: hundreds of listeners are expected, not a leak
  setMaxListeners(0, signal, ...(options.killSignal !== undefined ? [options.killSignal] : []));
  const extraVars = options.extraVars ?? {};
  const pool = new ConnectionPool(options.ssh ?? {});
  const omit = `${OMIT_PREFIX}${randomBytes(8).toString('hex')}`;
  let current: PlayRunner | undefined;
  const store = new VariableStore(inventory, { renderData: (value, vars) => templar.renderData(value, vars) }, extraVars, validated.playDirs, {
    playbookDir: playbook.dir,
    playHosts: () => current?.playHosts() ?? [],
    playBatch: () => current?.batchHosts() ?? [],
    playHostsAll: () => current?.allPlayHosts() ?? [],
    check: Boolean(options.check),
    diff: Boolean(options.diff),
    verbosity: options.verbosity ?? 0,
    omit,
  });
  const env: TaskEnvironment = {
    templar,
    check: Boolean(options.check),
    diff: Boolean(options.diff),
    verbosity: options.verbosity ?? 0,
    signal,
    ...(options.killSignal ? { killSignal: options.killSignal } : {}),
    playbookDir: playbook.dir,
    omit,
    ...(options.becomePassword !== undefined ? { becomePassword: options.becomePassword } : {}),
    connect: (host, keywords, taskVars) => {
      // the connection variables as the task sees them (play vars can set ansible_user); a delegate's own
      const vars = taskVars ?? store.view(host, {});
      const settings: ConnectionSettings = {
        ...(options.commandLine?.privateKey !== undefined ? { ansible_private_key_file: options.commandLine.privateKey } : {}),
        ...(keywords.connection !== undefined ? { ansible_connection: keywords.connection } : {}),
        ...(keywords.remote_user !== undefined ? { ansible_user: keywords.remote_user } : {}),
        ...(options.becomePassword !== undefined ? { ansible_become_password: options.becomePassword } : {}),
        ...settingsFromVars(vars),
      };
      return { connection: pool.get(host, settings), ...(becomeFromSettings(host, settings) ? { become: becomeFromSettings(host, settings)! } : {}) };
    },
    resetConnections: async (hosts) => pool.reset(hosts),
    loadVarsFile: async (candidates, at) => {
      const found = candidates.map((c) => resolve(dirname(at.file), c)).find((c) => existsSync(c));
      if (!found) throw new ProblemError([problem(at, `vars file not found: ${candidates.join(' or ')}`)]);
      const loaded = await loadYamlFile(found);
      const problems = [...loaded.problems, ...(loaded.value === undefined || loaded.value === null || isPlainObject(loaded.value) ? [] : [problem(at, `vars file ${found} is not a mapping`)])];
      throwIfErrors(problems);
      return (loaded.value ?? {}) as Vars;
    },
    loadTasks: async (path, include) => {
      const loaded = await loadIncludedTasks(path, include, playbook.dir, { ...(options.rolesPath ? { rolesPath: options.rolesPath } : {}) });
      throwIfErrors(loaded.problems);
      return loaded.tasks;
    },
    loadRole: async (name, include) => {
      const loaded = await loadIncludedRole(name, include, playbook.dir, { ...(options.rolesPath ? { rolesPath: options.rolesPath } : {}) });
      throwIfErrors(loaded.problems);
      if (!loaded.role) throw new ProblemError([problem(include.pos, `role '${name}' could not be loaded`)]);
      return loaded.role;
    },
  };
  const cli = options.commandLine;
  const cliKeywords: InheritedKeywords | undefined = cli && (cli.become !== undefined || cli.becomeUser !== undefined || cli.becomeMethod !== undefined || cli.remoteUser !== undefined || cli.connection !== undefined)
    ? {
        ...(cli.become !== undefined ? { become: cli.become } : {}),
        ...(cli.becomeUser !== undefined ? { become_user: cli.becomeUser } : {}),
        ...(cli.becomeMethod !== undefined ? { become_method: cli.becomeMethod } : {}),
        ...(cli.remoteUser !== undefined ? { remote_user: cli.remoteUser } : {}),
        ...(cli.connection !== undefined ? { connection: cli.connection } : {}),
      }
    : undefined;
  const run: RunState = {
    stats: new Map(),
    failedHosts: new Set(),
    unreachableHosts: new Set(),
    nextTaskId: 1,
    tasksRun: 0,
    startAtPending: options.startAtTask !== undefined,
    interrupted: () => signal.aborted,
  };
  const allHosts = new Set<string>();
  let roundTrips: Record<string, number> = {};
  try {
    for (const play of playbook.plays) {
      if (signal.aborted) break;
      const pattern = String(templar.renderString(play.hosts, extraVars, play.pos));
      const selection = inventory.select(pattern, { at: play.pos, ...(limit ? { limit } : {}) });
      // validateRun has reported these already
      for (const p of selection.problems) if (!validated.problems.some((w) => w.message === p.message && w.line === p.line && w.file === p.file)) emit({ type: 'warning', problem: p });
      if (selection.problems.some((p) => p.severity === 'error')) throw new ProblemError(selection.problems);
      const hosts = selection.hosts.filter((h) => !run.failedHosts.has(h) && !run.unreachableHosts.has(h));
      for (const h of hosts) allHosts.add(h);
      current = new PlayRunner(play, store, templar, env, { tags: { only: options.tags ?? [], skip: options.skipTags ?? [] }, forks: options.forks ?? 20, forceHandlers: Boolean(options.forceHandlers), ...(options.startAtTask ? { startAtTask: options.startAtTask } : {}), ...(cliKeywords ? { defaults: cliKeywords } : {}) }, run, emit);
      // a play whose batch failed whole, or that its failure rules stopped, ends the playbook (Ansible's break_play)
      if (await current.runPlay(hosts)) break;
    }
  } finally {
    roundTrips = Object.fromEntries(pool.roundTrips());
    await pool.closeAll();
  }
  const stats = Object.fromEntries([...allHosts].map((h) => [h, run.stats.get(h) ?? { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 }]));
  const durationMs = performance.now() - started;
  emit({ type: 'recap', stats, durationMs, tasks: run.tasksRun, hosts: allHosts.size, roundTrips, ...(signal.aborted ? { interrupted: true } : {}) });
  const failed = Object.values(stats).some((s) => s.failed > 0);
  const unreachable = Object.values(stats).some((s) => s.unreachable > 0);
  let exitCode = (failed ? 2 : 0) | (unreachable ? 4 : 0);
  if (signal.aborted && exitCode === 0) exitCode = 1;
  return { exitCode, stats, warnings: validated.problems, interrupted: signal.aborted, durationMs, roundTrips };
}

