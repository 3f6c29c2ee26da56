/**
 * The built command line (dist/, plain Node, no tsx): output when not on a terminal, --json events, exit
 * codes as ansible-playbook's, bad input, listing, and an interrupted run.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = 'dist/cli/typebook.js';
const dir = 'spec/fixtures/engine';
const inventory = join(dir, 'inventory.yml');

function typebook(args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the typebook command', function () {
  it('ends quietly when its reader stops early (| head)', async () => {
    const child = spawn('sh', ['-c', `"$0" "$1" schema tasks | head -c 300 >/dev/null`, process.execPath, cli], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    await new Promise((r) => child.on('close', r));
    expect(stderr).to.equal('');
  });

  this.timeout(60_000);
  let tmp: string;
  before(() => {
    // the built output must run on plain Node; `npm test` builds it before the tests
    expect(existsSync(cli), `${cli} is missing: run npm run build`).to.equal(true);
  });
  beforeEach(() => (tmp = mkdtempSync(join(tmpdir(), 'typebook-cli-'))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('prints help', () => {
    const { code, stdout } = typebook(['--help']);
    expect(code).to.equal(0);
    for (const command of ['run', 'validate', 'inventory', 'lab', 'schema']) expect(stdout).to.contain(command);
  });

  it('prints one line per host result and Ansible\'s PLAY RECAP; exit code 2 when a host failed', () => {
    const { code, stdout } = typebook(['run', join(dir, 'failures.yml'), '-i', inventory]);
    expect(code).to.equal(2);
    expect(stdout).to.contain('fatal: [web2]: FAILED! => web2 is broken');
    expect(stdout).to.match(/^skipping: \[web1\]$/m);
    expect(stdout).to.match(/^failed: \[web1\]: FAILED! => non-zero return code \.\.\.ignoring$/m);
    expect(stdout).to.match(/^PLAY RECAP \*+$/m);
    expect(stdout).to.match(/^web2 +: ok=0 +changed=0 +unreachable=0 +failed=1 +skipped=0 +rescued=0 +ignored=0 *$/m);
    expect(stdout).to.match(/^Finished in [\d.]+s: 4 hosts, 4 tasks$/m);
  });

  it('writes every event as a JSON line with --json', () => {
    const file = join(tmp, 'events.jsonl');
    const { code } = typebook(['run', join(dir, 'basics.yml'), '-i', inventory, '--json', file]);
    expect(code).to.equal(0);
    const events = spawnSync('cat', [file], { encoding: 'utf8' }).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events[0]).to.include({ type: 'play_start', play: 'basics' });
    const result = events.find((e) => e.type === 'host_result' && e.task === 'echo the color' && e.host === 'web1')!;
    expect(result).to.include({ status: 'changed', changed: true });
    expect(result.durationMs).to.be.a('number');
    expect((result.result as { stdout: string }).stdout).to.equal('red');
    const recap = events.at(-1)!;
    expect(recap.type).to.equal('recap');
    expect((recap.stats as Record<string, { ok: number }>).db1!.ok).to.equal(6);
  });

  it('with --json -, writes only JSON lines to standard output and the usual output to standard error', () => {
    const { code, stdout, stderr } = typebook(['run', join(dir, 'basics.yml'), '-i', inventory, '--json', '-']);
    expect(code).to.equal(0);
    const events = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events[0]).to.include({ type: 'play_start', play: 'basics' });
    expect(events.at(-1)!.type).to.equal('recap');
    expect(stderr).to.match(/^PLAY RECAP \*+$/m);
  });

  it('shows help without empty defaults', () => {
    const { code, stdout } = typebook(['run', '--help']);
    expect(code).to.equal(0);
    expect(stdout).to.contain('(default: 20)');
    expect(stdout).to.not.match(/\(default: (\[\]|0|"20")\)/);
    for (const flag of ['--become-user', '--private-key', '--timeout', '--connection', '--user']) expect(stdout).to.contain(flag);
  });

  it('says which -e @file it cannot read, and why', () => {
    const { code, stderr } = typebook(['run', join(dir, 'basics.yml'), '-i', inventory, '-e', '@spec/fixtures/no-such-vars.yml']);
    expect(code).to.equal(1);
    expect(stderr).to.contain('-e @spec/fixtures/no-such-vars.yml: cannot read spec/fixtures/no-such-vars.yml (no such file)');
  });

  it('exits 1 with every problem at file:line:col for bad input, running nothing', () => {
    const { code, stdout, stderr } = typebook(['run', 'spec/fixtures/playbooks/broken/unknown-argument/site.yml', '-i', inventory]);
    expect(code).to.equal(1);
    expect(stdout).not.to.contain('PLAY');
    expect(stderr).to.contain("site.yml:4:9 error: unknown argument 'mgs' for module debug");
    const validate = typebook(['validate', join(dir, 'basics.yml'), '-i', inventory]);
    expect(validate.code).to.equal(0);
    expect(validate.stdout).to.contain('valid');
    const usage = typebook(['run']);
    expect(usage.code).to.equal(1);
    const empty = join(tmp, 'empty.yml');
    writeFileSync(empty, '');
    expect(typebook(['run', empty]).stderr).to.contain('empty.yml:1:1 error: the playbook is empty');
    const nomatch = typebook(['run', join(dir, 'basics.yml'), '-i', inventory, '-l', 'nomatch']);
    expect(nomatch.code).to.equal(1);
    expect(nomatch.stderr).to.contain("--limit 'nomatch' matches no host");
  });

  it('shows unified diffs with --diff, and changes nothing with --check', () => {
    const target = join(tmp, 'file.txt');
    writeFileSync(target, 'line one\n');
    const checked = typebook(['run', join(dir, 'diff.yml'), '-i', inventory, '-e', `target=${target}`, '--check', '--diff']);
    expect(checked.code).to.equal(0);
    expect(checked.stdout).to.match(/^changed: \[web1\]/m);
    expect(checked.stdout).to.contain('@@ -1 +1,2 @@\n line one\n+line two');
    expect(readFileSync(target, 'utf8')).to.equal('line one\n');
    const applied = typebook(['run', join(dir, 'diff.yml'), '-i', inventory, '-e', `target=${target}`]);
    expect(applied.code).to.equal(0);
    expect(readFileSync(target, 'utf8')).to.equal('line one\nline two\n');
    expect(typebook(['run', join(dir, 'diff.yml'), '-i', inventory, '-e', `target=${target}`]).stdout).to.match(/^ok: \[web1\]/m);
  });

  it('exits 4 when a host is unreachable', () => {
    const { code, stdout } = typebook(['run', join(dir, 'unreachable.yml'), '-i', join(dir, 'unreachable-inventory.yml'), '--no-host-key-checking']);
    expect(code).to.equal(4);
    expect(stdout).to.match(/fatal: \[gone\]: UNREACHABLE! => .*127\.0\.0\.1/);
  });

  it('lists hosts and tasks without running anything', () => {
    const { code, stdout } = typebook(['run', join(dir, 'tags.yml'), '-i', inventory, '--list-tasks', '--list-hosts', '--tags', 'config']);
    expect(code).to.equal(0);
    expect(stdout).to.contain('hosts (1):\n      web1');
    expect(stdout).to.contain('tagged config\tTAGS: [config]');
    expect(stdout).not.to.contain('tagged install');
  });

  it('takes extra vars as key=value, JSON and @file, extra vars winning over play vars', () => {
    const vars = join(tmp, 'vars.yml');
    writeFileSync(vars, 'greeting: from-file\n');
    const { stdout } = typebook(['run', join(dir, 'basics.yml'), '-i', inventory, '-l', 'db1', '-e', 'greeting=kv', '-e', '{"weight": 21}', '-e', `@${vars}`]);
    expect(stdout).to.contain('"msg":"from-file from db1"');
    expect(stdout).to.match(/^db1 +: ok=6 /m);
  });

  it('on Ctrl-C starts no new task, lets the running one finish, prints the recap and exits non-zero', async () => {
    const child = spawn(process.execPath, [cli, 'run', join(dir, 'slow.yml'), '-i', inventory], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('TASK [slow task]') && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).to.not.equal(0);
    expect(stdout).to.match(/changed: \[web1\]/);
    expect(stdout).not.to.contain('not after an interrupt');
    expect(stdout).to.contain('PLAY RECAP');
    expect(stdout).to.contain('INTERRUPTED after');
  });

  it('shows control characters from hosts escaped, so a host cannot drive the terminal', () => {
    const playbook = join(tmp, 'escape.yml');
    writeFileSync(playbook, `- hosts: web1\n  gather_facts: false\n  tasks:\n    - shell: printf '\\033]0;pwned\\007\\033[2Jgone'\n      register: r\n    - fail: {msg: "{{ r.stdout }}"}\n`);
    const { code, stdout } = typebook(['run', playbook, '-i', inventory]);
    expect(code).to.equal(2);
    expect(stdout).to.contain('fatal: [web1]: FAILED! => \\x1b]0;pwned\\x07\\x1b[2Jgone');
    expect(stdout).to.not.contain('\x1b');
  });

  describe('commands that hang or flood', () => {
    /** a playbook whose one task on web1 writes its shell's PID to `pidFile`, then runs `then` */
    function stuck(pidFile: string, then: string, keywords = ''): string {
      const playbook = join(tmp, 'stuck.yml');
      writeFileSync(playbook, `- hosts: web1\n  gather_facts: false\n  tasks:\n    - name: stuck\n      shell: echo $$ > ${pidFile}; exec ${then}\n${keywords}    - name: after\n      debug: msg=after\n`);
      return playbook;
    }
    function alive(pid: number): boolean {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    }
    async function until(what: () => boolean, limitMs: number): Promise<boolean> {
      const end = Date.now() + limitMs;
      while (Date.now() < end) {
        if (what()) return true;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return what();
    }
    async function started(pidFile: string): Promise<number> {
      expect(await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 20_000), 'the command started').to.equal(true);
      return Number(readFileSync(pidFile, 'utf8'));
    }

    for (const [how, signals] of [['a second Ctrl-C', ['SIGINT', 'SIGINT']], ['SIGTERM', ['SIGTERM']]] as const) {
      it(`${how} kills the command in flight, fails its task and ends the run`, async () => {
        const pidFile = join(tmp, 'pid');
        const child = spawn(process.execPath, [cli, 'run', stuck(pidFile, 'sleep 60'), '-i', inventory], { env: { ...process.env, NO_COLOR: '1' } });
        let stdout = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
        const pid = await started(pidFile);
        for (const signal of signals) {
          child.kill(signal);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        const code = await closed;
        expect(code).to.not.equal(0);
        expect(stdout).to.match(/fatal: \[web1\]: FAILED! => .*interrupted/);
        expect(stdout).not.to.contain('TASK [after]');
        expect(stdout).to.contain('PLAY RECAP');
        expect(alive(pid), 'the command was killed').to.equal(false);
      });
    }

    it('a command dies with typebook killed by SIGKILL', async () => {
      const pidFile = join(tmp, 'pid');
      const child = spawn(process.execPath, [cli, 'run', stuck(pidFile, 'sleep 60'), '-i', inventory], { stdio: 'ignore' });
      const closed = new Promise((resolve) => child.on('close', resolve));
      const pid = await started(pidFile);
      child.kill('SIGKILL');
      await closed;
      expect(await until(() => !alive(pid), 5000), 'the command was killed with typebook').to.equal(true);
    });

    it('the timeout keyword stops a task and fails it with Ansible\'s message; the host goes on as the play says', () => {
      const pidFile = join(tmp, 'pid');
      const { code, stdout } = typebook(['run', stuck(pidFile, 'sleep 60', '      timeout: 1\n      ignore_errors: true\n'), '-i', inventory]);
      expect(stdout).to.contain('failed: [web1]: FAILED! => The shell action failed to execute in the expected time frame (1) and was terminated ...ignoring');
      expect(stdout).to.contain('TASK [after]');
      expect(code).to.equal(0);
      expect(alive(Number(readFileSync(pidFile, 'utf8')))).to.equal(false);
    });

    it('a flood of output fails the task with a clear message instead of exhausting memory', () => {
      const playbook = join(tmp, 'flood.yml');
      writeFileSync(playbook, '- hosts: web1\n  gather_facts: false\n  tasks:\n    - shell: head -c 200000000 /dev/zero\n');
      const { code, stdout } = typebook(['run', playbook, '-i', inventory]);
      expect(code).to.equal(2);
      expect(stdout).to.match(/fatal: \[web1\]: FAILED! => .*more than 128 MiB on stdout; the command was killed/);
    });
  });
});
