// The page's handle on the engine worker: one promise per request; sending a request rejects the
// pending one of the same kind with a StaleRequestError (the worker drops it too).
import type { EngineRequest, EngineResponse, RequestKind, ResponseOf, Unnumbered } from './protocol';

/** What the client needs of a Worker (a real one, or a fake in tests). */
export interface EngineWorker {
  postMessage(message: EngineRequest): void;
  /** A response arrives as an object, or as its JSON text (what the real worker sends). */
  addEventListener(type: 'message', listener: (event: { data: EngineResponse | string }) => void): void;
  terminate(): void;
}

/** A request overtaken by a newer one of its kind. Named like fetch's abort, so callers can ignore it alike. */
export class StaleRequestError extends Error {
  override name = 'AbortError';
  constructor(readonly kind: RequestKind) {
    super(`a newer ${kind} request replaced this one`);
  }
}

/** The engine could not serve a request (nothing parsed yet, no such path, a bug). */
export class EngineError extends Error {
  override name = 'EngineError';
}

interface Pending {
  kind: RequestKind;
  resolve: (response: EngineResponse) => void;
  reject: (error: Error) => void;
}

export interface EngineClient {
  request<R extends Unnumbered<EngineRequest>>(message: R): Promise<ResponseOf<R['kind']>>;
  /** Stops the worker; every pending request is rejected. */
  dispose(): void;
}

export function createEngineClient(worker: EngineWorker): EngineClient {
  let lastId = 0;
  const pending = new Map<number, Pending>();
  const latest = new Map<RequestKind, number>();

  worker.addEventListener('message', (event) => {
    const data: EngineResponse = typeof event.data === 'string' ? JSON.parse(event.data) : event.data;
    const waiting = pending.get(data.id);
    if (!waiting) return; // stale: already rejected
    // A mark per answer, for profiles and the scale test: which long task followed which answer.
    globalThis.performance?.mark?.(`chainwalk:${data.kind === 'error' ? `${waiting.kind} error` : data.kind}`);
    pending.delete(data.id);
    if (latest.get(waiting.kind) === data.id) latest.delete(waiting.kind);
    if (data.kind === 'error') waiting.reject(new EngineError(data.message));
    else waiting.resolve(data);
  });

  return {
    request(message) {
      const id = ++lastId;
      const kind = message.kind;
      const previous = latest.get(kind);
      if (previous !== undefined) {
        pending.get(previous)?.reject(new StaleRequestError(kind));
        pending.delete(previous);
      }
      latest.set(kind, id);
      return new Promise((resolve, reject) => {
        pending.set(id, { kind, resolve: resolve as (response: EngineResponse) => void, reject });
        worker.postMessage({ ...message, id } as EngineRequest);
      });
    },
    dispose() {
      worker.terminate();
      for (const waiting of pending.values()) waiting.reject(new StaleRequestError(waiting.kind));
      pending.clear();
      latest.clear();
    },
  };
}

/** Starts the engine worker (Vite bundles it from this URL) and a client for it. */
export function startEngine(): EngineClient {
  const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), {
    type: 'module',
    name: 'chainwalk-engine',
  });
  return createEngineClient(worker as unknown as EngineWorker);
}
