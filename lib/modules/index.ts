/**
 * The module registry: every module typebook has, found by its short name or any alias
 * (`sysctl`, `ansible.posix.sysctl`). The playbook schema is assembled from this list.
 */
import type { ModuleDefinition } from './module.js';
import apt from './apt.js';
import apt_repository from './apt_repository.js';
import assemble from './assemble.js';
import assert from './assert.js';
import blockinfile from './blockinfile.js';
import copy from './copy.js';
import file from './file.js';
import get_url from './get_url.js';
import group from './group.js';
import haproxy from './haproxy.js';
import haproxy_info from './haproxy_info.js';
import haproxy_rotation from './haproxy_rotation.js';
import include_vars from './include_vars.js';
import ini_file from './ini_file.js';
import lineinfile from './lineinfile.js';
import template from './template.js';
import command from './command.js';
import debug from './debug.js';
import fail from './fail.js';
import meta from './meta.js';
import mount from './mount.js';
import packageModule from './package.js';
import package_facts from './package_facts.js';
import pause from './pause.js';
import ping from './ping.js';
import set_fact from './set_fact.js';
import service from './service.js';
import service_facts from './service_facts.js';
import setup from './setup.js';
import shell from './shell.js';
import slurp from './slurp.js';
import stat from './stat.js';
import sysctl from './sysctl.js';
import systemd from './systemd.js';
import timezone from './timezone.js';
import unarchive from './unarchive.js';
import uri from './uri.js';
import user from './user.js';
import wait_for from './wait_for.js';
import wait_for_connection from './wait_for_connection.js';

export const allModules: readonly ModuleDefinition[] = [
  apt, apt_repository, assemble, assert, blockinfile, command, copy, debug, fail, file, get_url, group, haproxy, haproxy_info, haproxy_rotation, include_vars, ini_file, lineinfile, meta, mount, packageModule, package_facts, pause, ping, service, service_facts, set_fact, setup, shell, slurp, stat, sysctl, systemd,
  template, timezone, unarchive, uri, user, wait_for, wait_for_connection,
];

const byName = new Map<string, ModuleDefinition>();
for (const module of allModules) {
  for (const name of [module.name, ...module.aliases]) {
    if (byName.has(name)) throw new Error(`module name '${name}' is defined twice`);
    byName.set(name, module);
  }
}

export function findModule(name: string): ModuleDefinition | undefined {
  return byName.get(name);
}

/** every name a module answers to */
export function moduleNames(): string[] {
  return [...byName.keys()];
}

export type { Diff, ModuleContext, ModuleDefinition, ModuleResult, TaskSource, ValueDiff } from './module.js';
export { defineModule } from './module.js';
