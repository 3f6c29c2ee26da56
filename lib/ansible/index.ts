/** Ansible's and Python's semantics that several folders share: yes/no words, shell-style patterns. */
export { ansibleBoolean } from './boolean.js';
export { fnmatch, globToRegExp } from './fnmatch.js';
export { PY_SPACE, pySplit, pyStrip, pythonStringRepr } from './python.js';
export { shlexSplit } from './shlex.js';
export { findInSearchPath, searchCandidates, taskSearchPath, templateLookupSearchPath, templateSearchPath } from './search-path.js';
