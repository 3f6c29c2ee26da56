#!/usr/bin/env node
import { main } from './program.js';

// A reader that stops early (`typebook schema tasks | head`) ends the command quietly, as `cat` does.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(141);
    throw error;
  });
}

void main(process.argv).then((code) => {
  process.exitCode = code;
});
