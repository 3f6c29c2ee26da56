/** Ansible's and Python's semantics that several folders share: yes/no words, shell-style patterns. */
export { ansibleBoolean } from './boolean.js';
export { fnmatch, globToRegExp } from './fnmatch.js';
export { pythonStringRepr } from './python.js';
export { shlexSplit } from './shlex.js';
export { findInSearchPath, searchCandidates, taskSearchPath, templateLookupSearchPath, templateSearchPath } from './search-path.js';
