// worker: the engine off the main thread. In: typed requests (parse a dump, trace a packet, build
// the graph), the latest of each kind winning. Out: summaries, traces and graphs as plain data.

export {
  createEngineClient,
  type EngineClient,
  EngineError,
  type EngineWorker,
  StaleRequestError,
  startEngine,
} from './client';
export { type GeneratedService, type InputInfo, type InputKind, type KubeInputOptions, sniffInput } from './input';
export type * from './protocol';
