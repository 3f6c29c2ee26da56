export { lineRenderer, type LineRendererOptions } from './lines.js';
export { treeRenderer, ThrottledRenderer, type TreeRenderer, type TreeRendererOptions } from './tree.js';
export { jsonRenderer } from './json.js';
export { recapLines, summaryLine, banner } from './recap.js';
export { unifiedDiff } from './diff.js';
