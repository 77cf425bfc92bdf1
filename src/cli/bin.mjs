#!/usr/bin/env node
// The `chainwalk` command: runs the TypeScript sources directly through tsx.
import { register } from 'tsx/esm/api';

register();
// `chainwalk trace … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
