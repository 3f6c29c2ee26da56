/**
 * ansible.builtin.package: the generic package module. On Debian hosts it is apt (the same arguments, results
 * and round trips: see apt.ts); `use: auto` finds apt-get on the host in the same first round trip, and any
 * other package manager is refused with a clear message.
 *
 * Ansible's package hands every argument on to the host's own module, so roles pass dnf's and yum's
 * (`enablerepo: epel`) in tasks meant for RedHat hosts. They are accepted here; on an apt host the task fails
 * as Ansible's apt does with an argument it lacks, without a round trip.
 */
import { Type } from '@sinclair/typebox';
import { List, StringEnum } from './args.js';
import { aptArgAliases, aptProperties, runApt } from './apt.js';
import { defineModule } from './module.js';

/** dnf's and yum's own arguments (ansible-core 2.14), which apt has not. */
const otherManagersProperties = {
  enablerepo: Type.Optional(List(Type.String())),
  disablerepo: Type.Optional(List(Type.String())),
  exclude: Type.Optional(List(Type.String())),
  enable_plugin: Type.Optional(List(Type.String())),
  disable_plugin: Type.Optional(List(Type.String())),
  disable_excludes: Type.Optional(Type.String()),
  disable_gpg_check: Type.Optional(Type.Boolean()),
  validate_certs: Type.Optional(Type.Boolean()),
  sslverify: Type.Optional(Type.Boolean()),
  skip_broken: Type.Optional(Type.Boolean()),
  update_only: Type.Optional(Type.Boolean()),
  security: Type.Optional(Type.Boolean()),
  bugfix: Type.Optional(Type.Boolean()),
  allowerasing: Type.Optional(Type.Boolean()),
  nobest: Type.Optional(Type.Boolean()),
  cacheonly: Type.Optional(Type.Boolean()),
  download_only: Type.Optional(Type.Boolean()),
  download_dir: Type.Optional(Type.String()),
  installroot: Type.Optional(Type.String()),
  releasever: Type.Optional(Type.String()),
  conf_file: Type.Optional(Type.String()),
  list: Type.Optional(Type.String()),
};
const otherManagersArgs = Object.keys(otherManagersProperties);

export default defineModule({
  name: 'package',
  aliases: ['ansible.builtin.package', 'ansible.legacy.package'],
  description: 'Install or remove packages with the host\'s package manager (apt on Debian)',
  argAliases: aptArgAliases,
  args: Type.Object(
    {
      ...aptProperties,
      ...otherManagersProperties,
      name: List(Type.String({ minLength: 1 }), { description: 'packages, each optionally `=VERSION`' }),
      state: StringEnum(['present', 'latest', 'absent'] as const),
      use: Type.Optional(Type.String({ default: 'auto', description: 'the package manager: auto or apt (others are not supported)' })),
    },
    { additionalProperties: false },
  ),
  async run(args, ctx) {
    const { use = 'auto', ...rest } = args;
    if (use !== 'auto' && use !== 'apt') {
      return { changed: false, failed: true, msg: `use: ${use} is not supported: typebook's package module manages packages with apt only (use: auto or apt)` };
    }
    const others = otherManagersArgs.filter((key) => key in rest);
    if (others.length > 0) {
      return { changed: false, failed: true, msg: `Unsupported parameters for (apt) module: ${others.join(', ')}: the package module hands its arguments to apt, which has no such argument (they are dnf's and yum's)` };
    }
    return runApt(rest, ctx, { forPackage: true });
  },
});
