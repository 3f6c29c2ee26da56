/**
 * Running one module against a real host without the engine: arguments checked and coerced as the engine
 * does (finalizeModuleArgs), then `run` with a ModuleContext on the host's connection.
 *
 *   const fixture = useLab({ hosts: 2, name: 'mod-sysctl' });
 *   const conn = labConnection(fixture.lab, 'node1');
 *   const result = await runModule(sysctl, { name: 'net.ipv4.ip_forward', value: '1' }, conn, { check: true });
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createConnection, type CountingConnection } from '../../lib/connection/index.js';
import type { Lab } from '../../lib/lab/index.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../../lib/modules/module.js';
import { finalizeModuleArgs } from '../../lib/playbook/module-args.js';
import { formatProblem } from '../../lib/source/index.js';
import { Templar } from '../../lib/template/index.js';
import { templateSearchPath } from '../../lib/ansible/index.js';

export interface RunOptions {
  check?: boolean;
  diff?: boolean;
  vars?: Record<string, unknown>;
  environment?: Record<string, string>;
  verbosity?: number;
  signal?: AbortSignal;
}

const templar = new Templar();

export function moduleContext(connection: CountingConnection, options: RunOptions = {}): ModuleContext {
  const vars = options.vars ?? {};
  const source = { file: join(process.cwd(), 'playbook.yml'), searchPath: [process.cwd()], playbookDir: process.cwd() };
  return {
    host: connection.host,
    connection,
    check: options.check ?? false,
    diff: options.diff ?? false,
    environment: options.environment ?? {},
    vars,
    verbosity: options.verbosity ?? 0,
    signal: options.signal ?? new AbortController().signal,
    renderTemplateFile: async (path) => templar.renderTemplate(await readFile(path, 'utf8'), path, vars, templateSearchPath(source.searchPath, source.playbookDir, path)),
    findFile: (_kind, src) => src,
    evaluate: (expression) => templar.evaluate(expression, vars),
    source,
  };
}

/** The module's arguments as the engine would pass them; throws with the validation message when refused. */
export function checkedArgs(module: ModuleDefinition, args: Record<string, unknown>): Record<string, unknown> {
  const final = finalizeModuleArgs(module, args, { file: '<test>', line: 1, col: 1 });
  if (!final.args) throw new Error(final.problems.map(formatProblem).join('\n'));
  return final.args;
}

export async function runModule(module: ModuleDefinition, args: Record<string, unknown>, connection: CountingConnection, options: RunOptions = {}): Promise<ModuleResult> {
  return module.run(checkedArgs(module, args) as never, moduleContext(connection, options));
}

/** runModule, with the round trips the module made to the host. */
export async function runCounted(module: ModuleDefinition, args: Record<string, unknown>, connection: CountingConnection, options: RunOptions = {}): Promise<{ result: ModuleResult; trips: number }> {
  const before = connection.roundTrips;
  const result = await runModule(module, args, connection, options);
  return { result, trips: connection.roundTrips - before };
}

/** An SSH connection to a lab host, as the inventory `lab up` wrote describes it. */
export function labConnection(lab: Lab, host: string): CountingConnection {
  const target = lab.hosts.find((h) => h.name === host);
  if (!target) throw new Error(`lab '${lab.name}' has no host '${host}'`);
  return createConnection(host, {
    ansible_host: target.address,
    ansible_user: 'root',
    ansible_ssh_private_key_file: lab.privateKeyPath,
    ansible_ssh_common_args: lab.sshCommonArgs,
  });
}
