/**
 * ansible.builtin.group: a group present (with its gid, or a system group) or absent, as ansible-core 2.14's
 * module does it on Linux: groupadd / groupmod / groupdel, or with `local` libuser's lgroupadd / lgroupmod /
 * lgroupdel, the group looked up through NSS (grp), or in /etc/group itself with `local`. The results are
 * Ansible's (name, state, gid, system, the command's stdout/stderr), its warnings and messages; check mode
 * reports what would change. Ansible's module has no diff mode, neither has this one.
 *
 * Round trips: 1 to read the group (all that an unchanged run or check mode needs); 1 more to run the command
 * and read the group again, as Ansible reads it afterwards.
 */
import { Type } from '@sinclair/typebox';
import { StringEnum } from './args.js';
import { AccountFailure, failJson, putOutput, requireBin, runAccountsProgram, unsupportedSystem, type CommandRun, type Tools } from './accounts.js';
import { defineModule, type ModuleResult } from './module.js';

const TOOLS = ['groupadd', 'groupmod', 'groupdel', 'lgroupadd', 'lgroupmod', 'lgroupdel'] as const;
const GROUP_FILE = '/etc/group';

/*
 * Input {name, local, gid, steps}: the steps (argument vectors) run first, in order, up to the first that
 * fails; then the group read as Ansible's module reads it. Output: {ran: [CommandRun...], state}.
 */
const PROGRAM = String.raw`
p = json.load(sys.stdin)
ran = []
for argv in p['steps']:
    r = run(argv)
    ran.append(r)
    if r['rc'] != 0:
        break
state = tools(${JSON.stringify(TOOLS)})
state['os'] = os.uname().sysname
state['osId'] = os_id()
state['groupFile'] = os.path.exists('${GROUP_FILE}')
state['localEntry'] = p['local'] and state['groupFile'] and local_entry('${GROUP_FILE}', p['name'])
try:
    g = grp.getgrnam(p['name'])
    state['group'] = {'gid': g.gr_gid}
except KeyError:
    state['group'] = None
state['gidOwner'] = None
if p['local'] and p['gid']:
    for g in grp.getgrall():
        if g.gr_gid == p['gid'] and g.gr_name != p['name']:
            state['gidOwner'] = g.gr_name
            break
print(json.dumps({'ran': ran, 'state': state}))
`;

/** What the program read on the host. */
export interface GroupState extends Tools {
  os: string;
  osId: string;
  /** /etc/group exists */
  groupFile: boolean;
  /** with `local`: /etc/group has a line for the group */
  localEntry: boolean;
  /** grp.getgrnam's answer */
  group: { gid: number } | null;
  /** with `local` and a gid: the first other group that has it (Ansible's _local_check_gid_exists) */
  gidOwner: string | null;
}

export interface GroupArgs {
  name: string;
  state: 'present' | 'absent';
  gid?: number;
  system: boolean;
  local: boolean;
  non_unique: boolean;
}

/** The command to run (or none), and what Ansible's main() returns around it, given the host's state. */
export interface GroupPlan {
  /** the result when the run ends before any command (check mode's early exit) */
  done?: ModuleResult;
  argv?: string[];
  /** check mode: the command Ansible would have run counts as run */
  pretend: boolean;
}

/**
 * Ansible's Group object on the state read: each call to group_exists() as Ansible makes them, so that its
 * warning about a local group not found comes as many times as in Ansible's result.
 */
class GroupOnHost {
  constructor(readonly args: GroupArgs, readonly state: GroupState, readonly warnings: string[]) {}

  exists(): boolean {
    if (!this.args.local) return this.state.group !== null;
    if (!this.state.groupFile) throw failJson(`'local: true' specified but unable to find local group file ${GROUP_FILE} to parse.`);
    if (!this.state.localEntry) {
      this.warnings.push(`'local: true' specified and group was not found in ${GROUP_FILE}. The local group may already exist if the local group database exists somewhere other than ${GROUP_FILE}.`);
    }
    return this.state.localEntry;
  }

  /** group_info()[2]: the gid, or Ansible's TypeError on False */
  gid(): number {
    const info = this.exists() ? this.state.group : null;
    if (info === null) throw failJson(`group '${this.args.name}' is in ${GROUP_FILE} but the system does not know it`);
    return info.gid;
  }

  /** _local_check_gid_exists */
  checkLocalGid(): void {
    if (this.args.gid && this.state.gidOwner !== null) throw failJson(`GID '${this.args.gid}' already exists with group '${this.state.gidOwner}'`);
  }
}

/** main() up to the command: which one (group_add, group_mod, group_del), or none. */
export function planGroup(args: GroupArgs, state: GroupState, check: boolean, warnings: string[]): GroupPlan {
  const group = new GroupOnHost(args, state, warnings);
  const local = args.local;
  if (args.state === 'absent') {
    if (!group.exists()) return { pretend: false };
    if (check) return { done: { changed: true }, pretend: true };
    return { argv: [requireBin(state, local ? 'lgroupdel' : 'groupdel'), args.name], pretend: false };
  }
  if (!group.exists()) {
    if (check) return { done: { changed: true }, pretend: true };
    if (local) group.checkLocalGid();
    const argv = [requireBin(state, local ? 'lgroupadd' : 'groupadd')];
    if (args.gid !== undefined) {
      argv.push('-g', String(args.gid));
      if (args.non_unique) argv.push('-o');
    }
    if (args.system) argv.push('-r');
    return { argv: [...argv, args.name], pretend: false };
  }
  if (local) group.checkLocalGid();
  const argv = [requireBin(state, local ? 'lgroupmod' : 'groupmod')];
  const gid = group.gid();
  if (args.gid !== undefined && gid !== args.gid) {
    argv.push('-g', String(args.gid));
    if (args.non_unique) argv.push('-o');
  }
  if (argv.length === 1) return { pretend: false };
  if (check) return { pretend: true };
  return { argv: [...argv, args.name], pretend: false };
}

/** main() after the command: the result from the command's outcome and the state read afterwards. */
export function groupResult(args: GroupArgs, ran: CommandRun | 'pretended' | undefined, after: GroupState, warnings: string[]): ModuleResult {
  const result: ModuleResult = { changed: false, name: args.name, state: args.state };
  const out = ran === 'pretended' || ran === undefined ? '' : ran.out;
  const err = ran === 'pretended' || ran === undefined ? '' : ran.err;
  if (ran !== undefined && ran !== 'pretended' && ran.rc !== 0) throw failJson(err, { name: args.name });
  result.changed = ran !== undefined;
  putOutput(result, out, err);
  const group = new GroupOnHost(args, after, warnings);
  if (group.exists()) {
    result.system = args.system;
    result.gid = group.gid();
  }
  return result;
}

function withWarnings(result: ModuleResult, warnings: readonly string[]): ModuleResult {
  return warnings.length > 0 ? { ...result, warnings: [...warnings] } : result;
}

export default defineModule({
  name: 'group',
  aliases: ['ansible.builtin.group', 'ansible.legacy.group'],
  description: 'Add, change the gid of, or remove a group',
  args: Type.Object(
    {
      name: Type.String({ description: 'the group' }),
      state: Type.Optional(StringEnum(['absent', 'present'] as const, { default: 'present' })),
      gid: Type.Optional(Type.Integer({ description: 'the group id to create the group with or to change it to' })),
      system: Type.Optional(Type.Boolean({ default: false, description: 'create a system group (groupadd -r)' })),
      local: Type.Optional(Type.Boolean({ default: false, description: "use libuser's lgroupadd/lgroupmod/lgroupdel and look the group up in /etc/group" })),
      non_unique: Type.Optional(Type.Boolean({ default: false, description: 'allow a gid another group has (-o)' })),
    },
    { additionalProperties: false },
  ),
  rules: { required_if: [['non_unique', true, ['gid']]] },
  async run(given, ctx): Promise<ModuleResult> {
    const args: GroupArgs = {
      name: given.name,
      state: given.state ?? 'present',
      ...(given.gid !== undefined ? { gid: given.gid } : {}),
      system: given.system ?? false,
      local: given.local ?? false,
      non_unique: given.non_unique ?? false,
    };
    const input = (steps: string[][]) => ({ name: args.name, local: args.local, gid: args.gid ?? null, steps });
    const warnings: string[] = [];
    try {
      const read = await runAccountsProgram<{ state: GroupState }>(ctx, PROGRAM, input([]));
      const refused = unsupportedSystem('group', read.state.os, read.state.osId);
      if (refused) return refused;
      const plan = planGroup(args, read.state, ctx.check, warnings);
      if (plan.done) return withWarnings(plan.done, warnings);
      if (plan.argv === undefined) return withWarnings(groupResult(args, plan.pretend ? 'pretended' : undefined, read.state, warnings), warnings);
      const applied = await runAccountsProgram<{ ran: CommandRun[]; state: GroupState }>(ctx, PROGRAM, input([plan.argv]));
      return withWarnings(groupResult(args, applied.ran[0], applied.state, warnings), warnings);
    } catch (error) {
      if (error instanceof AccountFailure) return withWarnings(error.result, warnings);
      throw error;
    }
  },
});
