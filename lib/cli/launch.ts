#!/usr/bin/env node
/**
 * The `typebook` command: loads the bundled CLI (typebook.cjs beside this file) with V8's code cache, so that
 * a run does not parse and compile two megabytes of JavaScript anew each time (about 60 ms of every start).
 * The cache lives in ~/.cache/typebook, keyed by the bundle's size and time; when it cannot be read or
 * written, the bundle is compiled as usual.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const bundle = fileURLToPath(new URL('./typebook.cjs', import.meta.url));
// its #! line is no JavaScript inside a function
const source = readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
const stamp = statSync(bundle);
const cacheDir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'typebook');
const key = createHash('sha256').update(`${bundle}\0${stamp.size}\0${stamp.mtimeMs}\0${process.version}`).digest('hex').slice(0, 16);
const cacheFile = join(cacheDir, `cli-${key}.v8`);

let cachedData: Buffer | undefined;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // first start of this build: compiled below, cached at exit
}

const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
const script = new Script(wrapped, { filename: bundle, ...(cachedData !== undefined ? { cachedData } : {}) });
if (cachedData === undefined || script.cachedDataRejected === true) {
  // at exit, the cache also holds the functions this run compiled lazily
  process.once('exit', () => {
    try {
      mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
      const partial = `${cacheFile}.${process.pid}`;
      writeFileSync(partial, script.createCachedData());
      renameSync(partial, cacheFile);
    } catch {
      // no cache this time: the next start compiles again
    }
  });
}
const module = { exports: {} };
const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dir: string) => void;
run(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
