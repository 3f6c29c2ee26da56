/**
 * Finding roles and reading their parts. Search order: an explicit path; `roles/` next to the playbook;
 * the project's `roles/` (the nearest directory above the playbook with a package.json); `--roles-path`;
 * then roles that npm packages in the project's node_modules declare (`"typebook": { "roles": "roles" }` in
 * their package.json), so that a project reuses another's roles with `npm install`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

export interface RoleSearch {
  /** directories that hold roles, in search order */
  dirs: string[];
  /** those of them that npm packages declare */
  npmDirs?: string[];
}

export function findProjectRoot(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Role directories declared by the npm packages installed in a project. */
export function npmRoleDirs(projectRoot: string): string[] {
  const modules = join(projectRoot, 'node_modules');
  if (!existsSync(modules)) return [];
  const packages: string[] = [];
  for (const entry of safeReaddir(modules)) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) for (const sub of safeReaddir(join(modules, entry))) packages.push(join(modules, entry, sub));
    else packages.push(join(modules, entry));
  }
  const dirs: string[] = [];
  for (const pkg of packages.sort()) {
    try {
      const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { typebook?: { roles?: unknown } };
      const roles = manifest.typebook?.roles;
      if (typeof roles === 'string') dirs.push(resolve(pkg, roles));
    } catch {
      // not a package, or no readable manifest: it declares no roles
    }
  }
  return dirs;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export function roleSearch(playbookDir: string, rolesPath: readonly string[] = []): RoleSearch {
  let found: Required<RoleSearch> | undefined;
  // looked up on first use: a playbook without roles does not read every package.json in node_modules
  const search = (): Required<RoleSearch> => {
    if (found !== undefined) return found;
    const dirs = [join(playbookDir, 'roles')];
    const project = findProjectRoot(playbookDir);
    if (project) dirs.push(join(project, 'roles'));
    for (const p of rolesPath) dirs.push(resolve(p));
    const npmDirs = project ? npmRoleDirs(project).map((d) => resolve(d)) : [];
    dirs.push(...npmDirs);
    found = { dirs: [...new Set(dirs.map((d) => resolve(d)))], npmDirs };
    return found;
  };
  return {
    get dirs() {
      return search().dirs;
    },
    get npmDirs() {
      return search().npmDirs;
    },
  };
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The role's directory, or undefined; `searched` lists where it looked, in Ansible's order: roles/ beside the
 * playbook, the roles path (and npm packages), then for a role named by another role (a dependency or an
 * include_role in its tasks) the directory that holds that role, and last the playbook's own directory.
 * `ambiguous`: the role was found only in npm packages, and in more than one (which one wins would depend on
 * their names' order).
 */
export function findRole(name: string, search: RoleSearch, playbookDir: string, parentRole?: string): { path?: string; searched: string[]; ambiguous?: string[] } {
  if (isAbsolute(name)) return isDir(name) ? { path: name, searched: [name] } : { searched: [name] };
  const searched: string[] = [];
  const dirs = [...search.dirs, ...(parentRole ? [dirname(resolve(parentRole))] : []), resolve(playbookDir)];
  for (const dir of new Set(dirs)) {
    const path = join(dir, name);
    searched.push(path);
    if (!isDir(path)) continue;
    if (search.npmDirs?.includes(dir)) {
      const all = search.npmDirs.map((d) => join(d, name)).filter(isDir);
      if (all.length > 1) return { path, searched, ambiguous: all };
    }
    return { path, searched };
  }
  return { searched };
}

/** Every role name available on the search path, for "did you mean". */
export function availableRoles(search: RoleSearch): string[] {
  return search.dirs.flatMap((dir) => safeReaddir(dir).filter((entry) => isDir(join(dir, entry))));
}

/** `tasks/main.yml` and friends: Ansible accepts NAME, NAME.yml, NAME.yaml and NAME.json. */
export function roleFile(rolePath: string, part: string, name: string): string | undefined {
  for (const candidate of [`${name}.yml`, `${name}.yaml`, `${name}.json`, name]) {
    const path = join(rolePath, part, candidate);
    try {
      if (statSync(path).isFile()) return path;
    } catch {
      // try the next spelling
    }
  }
  return undefined;
}
