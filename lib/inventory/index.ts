/**
 * Ansible YAML inventories: load (`loadInventory`), hosts by pattern (`Inventory.select`), variables by
 * precedence layer (`Inventory.hostVarLayers`, merged: `Inventory.hostVars`), and what `ansible-inventory` prints (`inventoryList`, `inventoryGraph`, `pythonJson`).
 *
 * loadInventory never throws for bad input: it returns the problems (errors and warnings) beside the
 * inventory; pass them to throwIfErrors (lib/source) at the boundary.
 */
export { loadInventory, type LoadOptions, type LoadResult } from './load.js';
export { Inventory, sortGroups } from './inventory.js';
export { selectHosts, splitHostPattern, orderPatterns, type SelectOptions, type Selection } from './patterns.js';
export { expandHostRange, expandHostKey, parseAddress, isIpAddress, localhostNames } from './address.js';
export { loadVarsDir, findVarsFiles, type VarsDir } from './vars-files.js';
export { combineVars } from './merge.js';
export { inventoryList, inventoryYaml, inventoryYamlData, inventoryGraph, hostVarsForOutput, groupVarsForOutput, pythonJson, pythonRepr, pythonStr, internalVars } from './output.js';
export { inventorySchema } from './schema.js';
export type { Vars, VarLayer, InventoryGroup, InventoryHost } from './types.js';
