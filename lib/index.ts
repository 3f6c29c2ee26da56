/**
 * typebook's library API: what the `typebook` command uses, for programs that run playbooks themselves.
 */
export { runPlaybook, validateRun, listPlays, type RunPlaybookOptions, type PlaybookRun, type ValidatedRun, type PlayListing } from './engine/index.js';
export type { RunEvent, EventListener, HostStats, HostResultEvent, PlayStartEvent, TaskStartEvent, RecapEvent, WarningEvent } from './engine/index.js';
export { loadInventory, Inventory, type LoadResult as InventoryLoadResult } from './inventory/index.js';
export { loadPlaybook } from './playbook/load.js';
export type { Playbook, Play, Task, Block, TaskItem, RoleInstance } from './playbook/types.js';
export { schemaFor, schemaKinds, type SchemaKind } from './playbook/schema.js';
export { allModules, findModule, defineModule, type ModuleDefinition, type ModuleContext, type ModuleResult } from './modules/index.js';
export { Templar, TemplateError } from './template/index.js';
export { createConnection, ConnectionPool, ConnectionError, type Connection } from './connection/index.js';
export { labUp, labDown, labStatus, type Lab } from './lab/index.js';
export { lineRenderer, treeRenderer, jsonRenderer } from './output/index.js';
export { ProblemError, formatProblem, type Problem, type SourcePos } from './source/index.js';
