#!/usr/bin/env node
/**
 * The `typebook` command: loads the bundled CLI (typebook.cjs beside this file) and its precompiled schema
 * validators with V8's code cache, so that a run does not parse and compile nearly four megabytes of
 * JavaScript anew each time (about 70 ms of every start). The cache lives in ~/.cache/typebook, keyed by each
 * file's size and time; when it cannot be read or written, the files are compiled as usual.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

type ModuleFunction = (exports: object, require: NodeJS.Require, module: object, filename: string, dir: string) => void;

const cacheDir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'typebook');

/** The CommonJS module function of `file`, compiled with the code cache (and the cache written at exit when it had none). */
function compileCached(file: string): ModuleFunction {
  // a #! line is no JavaScript inside a function
  const source = readFileSync(file, 'utf8').replace(/^#!.*/, '');
  const stamp = statSync(file);
  const hash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);
  // one cache per file: a newer build's replaces the older one's
  const prefix = `${hash(file)}-`;
  const cacheFile = join(cacheDir, `${prefix}${hash(`${stamp.size}\0${stamp.mtimeMs}\0${process.version}`)}.v8`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // first start of this build: compiled below, cached at exit
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, ...(cachedData !== undefined ? { cachedData } : {}) });
  if (cachedData === undefined || script.cachedDataRejected === true) {
    // at exit, the cache also holds the functions this run compiled lazily
    process.once('exit', () => {
      try {
        mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
        const partial = `${cacheFile}.${process.pid}`;
        writeFileSync(partial, script.createCachedData());
        renameSync(partial, cacheFile);
        for (const old of readdirSync(cacheDir)) {
          if (old.startsWith(prefix) && join(cacheDir, old) !== cacheFile && !old.includes('.v8.')) rmSync(join(cacheDir, old), { force: true });
        }
      } catch {
        // no cache this time: the next start compiles again
      }
    });
  }
  return script.runInThisContext() as ModuleFunction;
}

/** Loads `file` as Node would require it, into require's cache, so that a later require of it finds it there. */
function preload(file: string): void {
  const module = new Module(file);
  module.filename = file;
  module.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  compileCached(file)(module.exports, createRequire(file), module, file, dirname(file));
  module.loaded = true;
  createRequire(file).cache[file] = module;
}

const here = dirname(fileURLToPath(import.meta.url));
preload(join(here, 'validators.generated.cjs'));
const bundle = join(here, 'typebook.cjs');
const main = { exports: {} };
compileCached(bundle)(main.exports, createRequire(bundle), main, bundle, here);
