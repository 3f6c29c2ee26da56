export { checkProbeOptions, probe, type ProbeOptions, type ProbeSample } from './probe.js';
export { compareVersions, regressions, summarize, type ProbeSummary, type Regression, type VersionSpan } from './summary.js';
export { formatReport, probePassed, type ReportOptions } from './report.js';
export { commandProbe, type CommandProbeOptions, type CommandRun } from './command.js';
