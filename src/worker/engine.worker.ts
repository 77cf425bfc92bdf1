// The engine's Web Worker: parse, trace and graph off the main thread. All logic is in core.ts.
import { createEngineLoop } from './core';
import type { EngineRequest, EngineResponse } from './protocol';

/** The part of DedicatedWorkerGlobalScope used here (the DOM lib types `self` as a Window). */
interface WorkerScope {
  postMessage(message: EngineResponse): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<EngineRequest>) => void): void;
}

const scope = self as unknown as WorkerScope;
const loop = createEngineLoop({
  post: (response) => scope.postMessage(response),
  schedule: (run) => setTimeout(run, 0),
  clock: () => performance.now(),
});
scope.addEventListener('message', (event) => loop.receive(event.data));
