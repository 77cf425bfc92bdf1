import { useEffect, useRef } from 'react';
import { type EngineClient, StaleRequestError, startEngine } from '../worker';
import { useAppStore } from './store';

/**
 * Keeps the engine worker in step with the page: every edit re-parses, then traces the packet and
 * builds the graph. Newer edits overtake older work (the client rejects it as stale, ignored here).
 */
/** The running engine, for one-off requests outside the edit loop (a slice for sharing). */
let running: EngineClient | null = null;

/** The last good dump cut down to the chains the current trace walks. */
export async function requestSlice(): Promise<string | null> {
  if (!running) return null;
  const r = await running.request({ kind: 'slice' });
  return r.text;
}

export function useEngine(): void {
  const client = useRef<EngineClient | null>(null);
  /** The text whose inferred node IPs were taken into the context. */
  const adopted = useRef<string | null>(null);
  const dumpText = useAppStore((s) => s.dumpText);
  const packet = useAppStore((s) => s.packet);
  const setEngine = useAppStore((s) => s.setEngine);
  const setGraph = useAppStore((s) => s.setGraph);
  const setResult = useAppStore((s) => s.setResult);
  const setPresets = useAppStore((s) => s.setPresets);
  const setDiagnostics = useAppStore((s) => s.setDiagnostics);
  const pathIndex = useAppStore((s) => s.pathIndex);
  const context = useAppStore((s) => s.context);
  const kubeOptions = useAppStore((s) => s.kubeOptions);
  const setInput = useAppStore((s) => s.setInput);

  useEffect(() => {
    const engine = startEngine();
    client.current = engine;
    running = engine;
    return () => {
      client.current = null;
      running = null;
      engine.dispose();
    };
  }, []);

  useEffect(() => {
    const engine = client.current;
    if (!engine) return;
    let current = true;
    setEngine({ status: 'working' });
    (async () => {
      const parsed = await engine.request({
        kind: 'parse',
        text: dumpText,
        nodeIP: context.nodeIPs?.[0]?.split('/')[0],
        kube: { ...kubeOptions, podCIDR: context.podCIDR },
      });
      setInput(parsed.input);
      // The paste shows the node's IPs (IPVS NodePort services): use them, once per new text.
      const inferred = parsed.node.nodeIPs;
      if (inferred.length > 0 && adopted.current !== dumpText) {
        adopted.current = dumpText;
        const now = context.nodeIPs?.map((ip) => ip.split('/')[0]) ?? [];
        if (inferred.join() !== now.join()) {
          useAppStore.getState().setContext({ ...context, nodeIPs: inferred });
          return;
        }
      }
      setPresets(parsed.presets);
      setDiagnostics(parsed.diagnostics);
      setEngine({ summary: parsed.summary, errors: parsed.errors, kept: parsed.kept, mode: parsed.node.mode });
      const traced = await engine.request({ kind: 'trace', packet, context });
      setResult(traced.result, traced.rules);
      const likeliest = [...traced.result.paths].sort((a, b) => b.probability - a.probability)[0];
      setEngine({
        trace: likeliest && { paths: traced.result.paths.length, likeliest },
      });
      const built = await engine.request({
        kind: 'graph',
        path: Math.min(pathIndex, Math.max(0, traced.result.paths.length - 1)),
      });
      const { nodes, edges, groups } = built.graph;
      setGraph(built.graph);
      setEngine({
        status: 'ready',
        graph: { nodes: nodes.length, edges: edges.length, groups: groups.length },
        message: undefined,
      });
    })().catch((error: unknown) => {
      if (!current || error instanceof StaleRequestError) return;
      setEngine({ status: 'failed', message: error instanceof Error ? error.message : String(error) });
    });
    return () => {
      current = false;
    };
  }, [
    dumpText,
    packet,
    context,
    kubeOptions,
    pathIndex,
    setEngine,
    setGraph,
    setResult,
    setPresets,
    setDiagnostics,
    setInput,
  ]);
}
