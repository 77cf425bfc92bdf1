// The engine as the app ships it: one bundle of parse + sim (bench/run.ts builds it with esbuild),
// so the figures measure the code users run, not the TypeScript loader.
export * from '../src/parse/index';
export * from '../src/sim/index';
