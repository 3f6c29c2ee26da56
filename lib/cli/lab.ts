/** `typebook lab up|down|status|ssh`: a thin layer over lib/lab. */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import {
  DEFAULT_LAB_NAME,
  DEFAULT_PACKAGES,
  labDown,
  LabError,
  labInfoFromState,
  labStatus,
  labStatuses,
  labUp,
  sshClientArgs,
  type Lab,
  type LabStatus,
} from '../lab/index.js';

interface CommonFlags {
  name: string;
  dir?: string;
  json?: boolean;
}

interface UpFlags extends CommonFlags {
  cacheDir?: string;
  package?: string[];
}

const DEFAULT_HOSTS = 3;

export function registerLabCommand(program: Command): void {
  const lab = program
    .command('lab')
    .description('real Linux hosts on this machine to try playbooks on (namespaces and overlays; needs root)');

  const common = (cmd: Command): Command =>
    cmd
      .option('--name <name>', 'lab name: several labs can be up at once', DEFAULT_LAB_NAME)
      .option('--dir <dir>', 'state dir (default /var/lib/typebook/lab/<name>)');

  common(lab.command('up'))
    .description('bring up N hosts (node1..nodeN) and write an inventory for them')
    .argument('[hosts]', 'number of hosts', String(DEFAULT_HOSTS))
    .option('--cache-dir <dir>', 'where downloaded .debs are kept (default /var/cache/typebook/lab/debs)')
    .option('--package <name...>', `packages the hosts can apt-get install (default ${DEFAULT_PACKAGES.join(' ')})`)
    .option('--json', 'print the lab as JSON')
    .action(async (hosts: string, flags: UpFlags) => {
      const count = /^\d+$/.test(hosts) ? Number(hosts) : NaN;
      if (Number.isNaN(count)) throw new LabError(`invalid number of hosts '${hosts}': expected a whole number`);
      const up = await labUp({
        hosts: count,
        name: flags.name,
        ...(flags.dir !== undefined ? { dir: flags.dir } : {}),
        ...(flags.cacheDir !== undefined ? { cacheDir: flags.cacheDir } : {}),
        ...(flags.package !== undefined ? { packages: flags.package } : {}),
        onProgress: (message) => process.stderr.write(`${message}\n`),
      });
      process.stdout.write(flags.json ? JSON.stringify(up, null, 2) + '\n' : describeLab(up));
    });

  common(lab.command('down'))
    .description('stop every host and remove all the lab made (namespaces, links, state)')
    .action(async (flags: CommonFlags) => {
      const down = await labDown({ name: flags.name, ...(flags.dir !== undefined ? { dir: flags.dir } : {}) });
      process.stdout.write(
        down.removed ? `lab '${down.name}' is down (${down.hosts} hosts removed)\n` : `lab '${down.name}' was not up\n`,
      );
    });

  lab
    .command('status')
    .description("without --name: every lab that is up; with it: each host, its address and whether its sshd answers (exit 1 unless all do)")
    .option('--name <name>', 'the lab to show')
    .option('--dir <dir>', 'state dir (default /var/lib/typebook/lab/<name>)')
    .option('--json', 'print the status as JSON')
    .action(async (flags: Partial<CommonFlags>) => {
      if (flags.name === undefined && flags.dir === undefined) {
        const all = await labStatuses();
        process.stdout.write(flags.json ? JSON.stringify(all, null, 2) + '\n' : describeAll(all));
        return;
      }
      const status = await labStatus({ name: flags.name ?? DEFAULT_LAB_NAME, ...(flags.dir !== undefined ? { dir: flags.dir } : {}) });
      process.stdout.write(flags.json ? JSON.stringify(status, null, 2) + '\n' : describeStatus(status));
      if (!status.up || status.hosts.some((h) => !h.sshd)) process.exitCode = 1;
    });

  common(lab.command('ssh'))
    .description('open a shell (or run a command) on a lab host as root, with the lab key and pinned host key')
    .argument('<host>', 'node1, node2, ...')
    .argument('[command...]', 'command to run instead of a shell')
    .action(async (host: string, command: string[], flags: CommonFlags) => {
      const info = labInfoFromState({ name: flags.name, ...(flags.dir !== undefined ? { dir: flags.dir } : {}) });
      if (!info) throw new LabError(`lab '${flags.name}' is not up`);
      const target = info.hosts.find((h) => h.name === host);
      if (!target) {
        throw new LabError(`lab '${info.name}' has no host '${host}'; expected one of: ${info.hosts.map((h) => h.name).join(', ')}`);
      }
      process.exitCode = await runSsh(info, target.address, command);
    });
}

function describeLab(lab: Lab): string {
  const width = Math.max(...lab.hosts.map((h) => h.name.length));
  return [
    `lab '${lab.name}' is ${lab.alreadyUp ? 'already ' : ''}up: ${lab.hosts.length} hosts on ${lab.subnet}`,
    ...lab.hosts.map((h) => `  ${h.name.padEnd(width)}  ${h.address}`),
    `inventory: ${lab.inventoryPath}`,
    `ssh: typebook lab ssh ${lab.hosts[0]?.name ?? 'node1'}${lab.name === DEFAULT_LAB_NAME ? '' : ` --name ${lab.name}`}`,
    '',
  ].join('\n');
}

function describeAll(statuses: readonly LabStatus[]): string {
  if (statuses.length === 0) return 'no lab is up\n';
  const width = Math.max(...statuses.map((s) => s.name.length));
  return statuses.map((s) => `${s.name.padEnd(width)}  ${s.up ? 'up' : 'partly up'}  ${s.hosts.length} hosts on ${s.subnet ?? '?'}\n`).join('');
}

function describeStatus(status: LabStatus): string {
  if (status.hosts.length === 0) return `lab '${status.name}' is not up\n`;
  const width = Math.max(...status.hosts.map((h) => h.name.length));
  return [
    `lab '${status.name}': ${status.up ? 'up' : 'partly up'}, ${status.hosts.length} hosts on ${status.subnet ?? '?'}`,
    ...status.hosts.map(
      (h) =>
        `  ${h.name.padEnd(width)}  ${h.address.padEnd(12)}  ${h.running ? `pid ${h.pid}` : 'stopped'}  ${h.sshd ? 'sshd answers' : 'sshd does not answer'}`,
    ),
    `inventory: ${status.inventoryPath ?? '?'}`,
    '',
  ].join('\n');
}

function runSsh(lab: Lab, address: string, command: readonly string[]): Promise<number> {
  const args = [
    ...sshClientArgs(lab),
    '-o',
    'ServerAliveInterval=5',
    `root@${address}`,
    // ssh joins its remaining arguments into one remote shell line: pass the user's words through unchanged.
    ...command,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', args, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 255));
  });
}
