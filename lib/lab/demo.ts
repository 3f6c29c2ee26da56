/**
 * `npm run demo`: the flagship job end to end on a fresh lab, with the commands an operator would type:
 * lab up (the seed's topology, four hosts), site.yml at release N, the probe on the VIP, upgrade-nova.yml to
 * N+1 under that traffic, the probe's report, lab down. Exits non-zero when a step fails or a request failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labLayout } from './layout.js';
import { STANDIN_RELEASES } from './standin-debs.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'dist/cli/typebook.js');
const LAB = process.env.TYPEBOOK_DEMO_LAB ?? 'demo';
const [N, N1] = [STANDIN_RELEASES[0]!.version, STANDIN_RELEASES[1]!.version];

function say(text: string): void {
  process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);
}

/** Prints the command as an operator would type it, then runs it with the terminal as its output. */
function step(args: string[], options: { allowFailure?: boolean } = {}): Promise<number> {
  process.stdout.write(`$ typebook ${args.join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 && !options.allowFailure) reject(new Error(`typebook ${args[0]} exited ${code}`));
      else resolve(code ?? 1);
    });
  });
}

function background(args: string[]): { child: ChildProcess; output: Promise<{ code: number; text: string }> } {
  process.stdout.write(`$ typebook ${args.join(' ')} &\n`);
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TYPEBOOK_PROBE_PICTURE: '1' } });
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => chunks.push(b));
  child.stderr!.on('data', (b: Buffer) => chunks.push(b));
  const output = new Promise<{ code: number; text: string }>((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, text: Buffer.concat(chunks).toString('utf8') })));
  return { child, output };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const started = performance.now();
  const work = mkdtempSync(join(tmpdir(), 'typebook-demo-'));
  const layout = labLayout(LAB);
  const inventory = ['-i', layout.inventoryPath, '-i', 'inventory/lab'];
  let probe: ReturnType<typeof background> | undefined;
  try {
    say(`A fresh lab in the seed's topology (node1 controller, node2 API + compute, node3 and node4 computes)`);
    await step(['lab', 'down', '--name', LAB]);
    await step(['lab', 'up', '4', '--name', LAB]);

    say(`HAProxy + keepalived on node1 and node2, nova ${N} everywhere`);
    await step(['run', 'playbooks/site.yml', ...inventory]);

    say('Traffic through the VIP during the upgrade: 200 requests a second, 5% of them slow');
    const vip = `http://${layout.vip}:8282/`;
    probe = background(['probe', vip, '--rate', '200', '--slow', '5:1', '--duration', '300', '--json', join(work, 'probe.json')]);
    await sleep(3000);

    say(`The rolling upgrade to ${N1}`);
    const upgraded = await step(['run', 'playbooks/upgrade-nova.yml', ...inventory, '-e', `nova_version=${N1}`], { allowFailure: true });
    await sleep(3000);

    say('What the API users saw');
    probe.child.kill('SIGINT');
    const report = await probe.output;
    probe = undefined;
    process.stdout.write(report.text);

    say('The second run at the target version changes nothing');
    await step(['run', 'playbooks/upgrade-nova.yml', ...inventory, '-e', `nova_version=${N1}`]);
    process.stdout.write(`\ndemo done in ${((performance.now() - started) / 1000).toFixed(0)} s: upgrade ${upgraded === 0 ? 'succeeded' : `failed (exit ${upgraded})`}, probe ${report.code === 0 ? 'passed' : 'failed'}\n`);
    return upgraded === 0 && report.code === 0 ? 0 : 2;
  } finally {
    if (probe) probe.child.kill('SIGKILL');
    say('Lab down');
    await step(['lab', 'down', '--name', LAB], { allowFailure: true });
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
