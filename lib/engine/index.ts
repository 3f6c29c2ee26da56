export { runPlaybook, validateRun, type CommandLineDefaults, type RunPlaybookOptions, type PlaybookRun, type ValidatedRun } from './run.js';
export { listPlays, type PlayListing } from './list.js';
export { shouldRun, type TagFilter } from './tags.js';
export { serialBatches, batchSize, orderHosts } from './batches.js';
export type * from './events.js';
export { emptyStats } from './events.js';
