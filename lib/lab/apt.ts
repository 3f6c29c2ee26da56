/**
 * The lab's apt repository: the .debs the hosts may install (and the dependencies the machine lacks),
 * fetched once into a shared cache with `apt-get download`, then linked into each lab and indexed with
 * dpkg-scanpackages. Hosts list only this repository, so installing never needs the network.
 */
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { HOST_REPO_DIR } from './layout.js';
import { LabError, run } from './system.js';

export const DEFAULT_PACKAGES: readonly string[] = ['haproxy', 'keepalived', 'socat'];

export interface DebRef {
  name: string;
  version: string;
  arch: string;
}

/** The `Inst` lines of `apt-get install -s`: what the machine lacks to install the packages. */
export function parseSimulatedInstall(output: string): DebRef[] {
  const debs: DebRef[] = [];
  for (const line of output.split('\n')) {
    // Inst NAME [OLD-VERSION] (NEW-VERSION ORIGIN... [ARCH])
    const m = /^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) .*\[([^\]\s]+)\]\)/.exec(line);
    if (m) debs.push({ name: m[1] as string, version: m[2] as string, arch: m[3] as string });
  }
  return debs;
}

/** The file name `apt-get download` gives a package (an epoch's ':' is written %3a). */
export function debFileName(deb: DebRef): string {
  return `${deb.name}_${deb.version.replace(/:/g, '%3a')}_${deb.arch}.deb`;
}

/** The sources.list line of every host. */
export function hostSourcesList(): string {
  return `# typebook lab: the lab's own repository only; hosts never reach a Debian mirror\ndeb [trusted=yes] file:${HOST_REPO_DIR} ./\n`;
}

/**
 * What the machine lacks to install `packages`, per `apt-get install -s`. That takes seconds on a machine without
 * apt's binary cache, so the answer is kept in the cache dir until dpkg's status or apt's lists change.
 */
export async function packagesToFetch(packages: readonly string[], cacheDir: string): Promise<DebRef[]> {
  const key = JSON.stringify({ packages: [...packages].sort(), machine: aptStateStamp() });
  const memo = join(cacheDir, 'resolved.json');
  try {
    const saved = JSON.parse(readFileSync(memo, 'utf8')) as { key?: string; debs?: DebRef[] };
    if (saved.key === key && Array.isArray(saved.debs)) return saved.debs;
  } catch {
    // no answer kept yet
  }
  const sim = await run('apt-get', ['install', '-s', '-q', ...packages], { allowFailure: true });
  if (sim.code !== 0) {
    const missing = [...sim.stderr.matchAll(/Unable to locate package (\S+)/g)].map((m) => m[1]);
    const hint = missing.length
      ? `apt on this machine does not know package(s) ${missing.join(', ')} (has 'apt-get update' been run?)`
      : sim.stderr.trim();
    throw new LabError(`cannot work out the lab's packages: ${hint}`);
  }
  const debs = parseSimulatedInstall(sim.stdout);
  mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
  writeAtomically(memo, JSON.stringify({ key, debs }, null, 2) + '\n');
  return debs;
}

/** Changes whenever a package is installed or removed, or `apt-get update` brings new lists. */
function aptStateStamp(): string[] {
  const stamp = (path: string): string => {
    try {
      const st = statSync(path);
      return `${path}:${st.mtimeMs}:${st.size}`;
    } catch {
      return `${path}:-`;
    }
  };
  const lists = '/var/lib/apt/lists';
  let listFiles: string[] = [];
  try {
    listFiles = readdirSync(lists).sort().map((f) => join(lists, f));
  } catch {
    // no lists: apt-get -s will say so
  }
  return ['/var/lib/dpkg/status', ...listFiles].map(stamp);
}

/** Downloads into the cache what is not there yet; returns the file names of all the wanted .debs. */
export async function fetchIntoCache(debs: readonly DebRef[], cacheDir: string): Promise<string[]> {
  mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
  const missing = debs.filter((d) => !existsSync(join(cacheDir, debFileName(d))));
  if (missing.length > 0) {
    // A private download dir, renamed into place: two labs coming up at once never see half a file.
    const tmp = mkdtempSync(join(cacheDir, '.download-'));
    try {
      await run(
        'apt-get',
        ['download', '-q', '-o', 'APT::Sandbox::User=root', ...missing.map((d) => `${d.name}=${d.version}`)],
        { cwd: tmp },
      );
      for (const file of readdirSync(tmp)) {
        if (file.endsWith('.deb')) renameSync(join(tmp, file), join(cacheDir, file));
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const files = debs.map(debFileName);
  const absent = files.filter((f) => !existsSync(join(cacheDir, f)));
  if (absent.length > 0) throw new LabError(`apt-get download did not produce: ${absent.join(', ')}`);
  return files;
}

/**
 * The Packages stanza of every .deb in the cache, by file name. dpkg-scanpackages (slow: it unpacks each
 * control file) runs only when the cache holds a .deb the kept index does not describe.
 */
async function cacheIndex(cacheDir: string): Promise<Map<string, string>> {
  const debs = readdirSync(cacheDir).filter((f) => f.endsWith('.deb'));
  const indexPath = join(cacheDir, 'Packages');
  let stanzas = new Map<string, string>();
  try {
    stanzas = parseIndex(readFileSync(indexPath, 'utf8'));
  } catch {
    // no index yet
  }
  if (debs.every((d) => stanzas.has(d))) return stanzas;
  const index = await run('dpkg-scanpackages', ['--multiversion', '.', '/dev/null'], { cwd: cacheDir });
  writeAtomically(indexPath, index.stdout);
  return parseIndex(index.stdout);
}

/** Splits a Packages index into stanzas keyed by the file name in their `Filename: ./NAME` field. */
export function parseIndex(text: string): Map<string, string> {
  const stanzas = new Map<string, string>();
  for (const stanza of text.split(/\n\s*\n/)) {
    const m = /^Filename: (?:\.\/)?(\S+)$/m.exec(stanza);
    if (m) stanzas.set(m[1] as string, stanza.trim() + '\n');
  }
  return stanzas;
}

/** Links the .debs into repoDir (the directory hosts bind-mount read-only) and writes its Packages index. */
export async function buildRepo(files: readonly string[], cacheDir: string, repoDir: string): Promise<void> {
  const stanzas = await cacheIndex(cacheDir);
  rmSync(repoDir, { recursive: true, force: true });
  mkdirSync(repoDir, { recursive: true, mode: 0o755 });
  for (const file of files) {
    try {
      linkSync(join(cacheDir, file), join(repoDir, file));
    } catch {
      copyFileSync(join(cacheDir, file), join(repoDir, file)); // cache and state on different filesystems
    }
  }
  writeFileSync(join(repoDir, 'Packages'), files.map((f) => stanzas.get(f) ?? '').join('\n'), { mode: 0o644 });
}

function writeAtomically(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o644 });
  renameSync(tmp, path);
}
