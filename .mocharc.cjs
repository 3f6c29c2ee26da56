// Files named on the command line (`npx mocha spec/x.spec.ts`) run alone; with none, every suite runs.
// `npm test` runs the suites in two workers (each worker's labs named apart: spec/lab/fixture.ts), then alone
// those whose labs or timings must not meet another's: spec/lab (fixed lab names), spec/roles (HA and upgrade
// under traffic, where no request may fail), spec/e2e/lab-cli.
const named = process.argv.slice(2).some((arg) => /\.spec\.ts$/.test(arg));
module.exports = {
  'node-option': ['import=tsx'],
  // shared labs go down after every suite
  require: ['spec/root-hooks.ts'],
  ...(named ? {} : { spec: ['spec/**/*.spec.ts'] }),
  timeout: 20000,
  recursive: true,
  exit: true,
};
