// The engine's Web Worker: parse, trace and graph off the main thread. All logic is in core.ts.
import { createEngineLoop } from './core';
import type { EngineRequest, EngineResponse } from './protocol';

/** The part of DedicatedWorkerGlobalScope used here (the DOM lib types `self` as a Window). */
interface WorkerScope {
  postMessage(message: EngineResponse | string): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<EngineRequest>) => void): void;
}

const scope = self as unknown as WorkerScope;
/**
 * Responses cross as JSON text: a 10k-Service trace is thousands of small objects, and the page
 * parses their JSON in a few ms where structured-clone deserialisation was one 50–100 ms task.
 */
function post(response: EngineResponse): void {
  if (response.kind === 'text') {
    scope.postMessage(response);
    return;
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(response);
  } catch {
    // Not JSON (a bigint would be a bug upstream): let structured clone carry it.
  }
  scope.postMessage(json ?? response);
}

const loop = createEngineLoop({
  post,
  schedule: (run) => setTimeout(run, 0),
  clock: () => performance.now(),
});

/** A parse of a file or clipboard blob reads it here, off the main thread, into the text core.ts parses. */
async function withText(request: EngineRequest): Promise<EngineRequest> {
  if (request.kind !== 'parse' || !request.file) return request;
  const { file, ...rest } = request;
  return { ...rest, text: await file.text() };
}

// Requests reach the loop in the order they came, even while a file is being read.
let arrived: Promise<void> = Promise.resolve();
scope.addEventListener('message', (event) => {
  const request = event.data;
  arrived = arrived.then(async () => {
    try {
      loop.receive(await withText(request));
    } catch (error) {
      const message = `could not read the file: ${error instanceof Error ? error.message : String(error)}`;
      scope.postMessage({ id: request.id, kind: 'error', request: request.kind, message });
    }
  });
});
