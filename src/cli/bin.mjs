#!/usr/bin/env node
// The `chainwalk` command: runs the TypeScript sources directly through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
