// Files named on the command line (`npx mocha spec/x.spec.ts`) run alone; with none, every suite runs.
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
