export * from './problem.js';
export * from './suggest.js';
export * from './yaml.js';
