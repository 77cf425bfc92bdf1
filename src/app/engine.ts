import { useCallback, useEffect, useRef, useState } from 'react';
import type { ChainInfo, SearchHit } from '../graph';
import {
  type EngineClient,
  type KubeInputOptions,
  type ParseResponse,
  StaleRequestError,
  startEngine,
  type TraceResponse,
} from '../worker';
import { type BigDump, useAppStore } from './store';

/**
 * Keeps the engine worker in step with the page: an edit re-parses; a new packet, node or path
 * only re-traces the ruleset the worker already holds. Newer requests overtake older work (the
 * client rejects it as stale, ignored here).
 */
/** The running engine, for one-off requests outside the edit loop (a slice for sharing). */
let running: EngineClient | null = null;

/** The whole text of the dump in use (a big dump the page never held). */
export function requestText(): Promise<string | null> {
  return running ? running.request({ kind: 'text' }).then((r) => r.text) : Promise.resolve(null);
}

/** The chain called `name` in each table of the dump in use, with its rule count and Service. */
export function requestChain(name: string): Promise<ChainInfo[] | null> {
  return running ? running.request({ kind: 'chain', name }).then((r) => r.chains) : Promise.resolve(null);
}

/** Slices asked for and not yet answered, by `around` (none: the whole walked chains). */
const slicing = new Map<number | undefined, Promise<string>>();
let lastSlice: Promise<unknown> = Promise.resolve();

/**
 * The last good dump cut down to the chains the current trace walks; with `around`, long chains only
 * near the rules it matched (the editor's view of a big dump).
 */
export function requestSlice(around?: number): Promise<string | null> {
  const engine = running;
  if (!engine) return Promise.resolve(null);
  let pending = slicing.get(around);
  if (!pending) {
    // One request serves every caller that asks meanwhile (the editor's view, Share), and one waits
    // for the other: a second slice request in flight would make the first stale.
    pending = lastSlice
      .catch(() => undefined)
      .then(() => engine.request({ kind: 'slice', around }))
      .then((r) => r.text)
      .finally(() => slicing.delete(around));
    slicing.set(around, pending);
    lastSlice = pending;
  }
  return pending;
}

/** Chains of the dump in use that mention `query` (a chain name, Service, IP or port). */
export async function requestSearch(query: string): Promise<SearchHit[]> {
  if (!running) return [];
  return (await running.request({ kind: 'search', query })).hits;
}

/** The parse of the page's dump: a big one is read by the worker and checked after it is traced. */
function parseRequest(dumpText: string, bigDump: BigDump | null, nodeIP: string | undefined, kube: KubeInputOptions) {
  if (!bigDump) return { kind: 'parse', text: dumpText, nodeIP, kube } as const;
  const { source } = bigDump;
  return typeof source === 'string'
    ? ({ kind: 'parse', text: source, nodeIP, checkRules: false } as const)
    : ({ kind: 'parse', text: '', file: source, nodeIP, checkRules: false } as const);
}

const ignoreStale = (error: unknown) => {
  if (!(error instanceof StaleRequestError)) throw error;
};

export function useEngine(): void {
  const client = useRef<EngineClient | null>(null);
  /** The parse of the current input, shared by every trace of it. */
  const [parsing, setParsing] = useState<Promise<ParseResponse> | null>(null);
  /** The revision whose rules are still to be checked (a big dump), or null. */
  const unchecked = useRef<number | null>(null);
  const dumpText = useAppStore((s) => s.dumpText);
  const bigDump = useAppStore((s) => s.bigDump);
  const packet = useAppStore((s) => s.packet);
  const setEngine = useAppStore((s) => s.setEngine);
  const setGraph = useAppStore((s) => s.setGraph);
  const setResult = useAppStore((s) => s.setResult);
  const setPresets = useAppStore((s) => s.setPresets);
  const setDiagnostics = useAppStore((s) => s.setDiagnostics);
  const pathIndex = useAppStore((s) => s.pathIndex);
  const expanded = useAppStore((s) => s.expanded);
  const focus = useAppStore((s) => s.focus);
  const context = useAppStore((s) => s.context);
  const nodeIP = context.nodeIPs?.[0]?.split('/')[0];
  const kubeOptions = useAppStore((s) => s.kubeOptions);
  const podCIDR = context.podCIDR;
  const setInput = useAppStore((s) => s.setInput);
  /** The text whose inferred node IPs were taken into the context. */
  const adopted = useRef<string | null>(null);
  /** The last trace, with the parse it is of: what the graph effect draws. */
  const [traced, setTraced] = useState<{ parsed: ParseResponse; response: TraceResponse } | null>(null);
  /** Reports a failure of a request that is still wanted (stale ones are expected, not failures). */
  const failed = useCallback(
    (wanted: () => boolean) => (error: unknown) => {
      if (!wanted() || error instanceof StaleRequestError) return;
      setEngine({ status: 'failed', message: error instanceof Error ? error.message : String(error) });
    },
    [setEngine],
  );

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

  // A new input (or node IP, which the presets aim at): parse it once.
  useEffect(() => {
    const engine = client.current;
    if (!engine) return;
    setEngine({ status: 'working' });
    const parse = engine.request(parseRequest(dumpText, bigDump, nodeIP, { ...kubeOptions, podCIDR }));
    setParsing(parse);
    // The last trace is of the old input: nothing is drawn from it until the new one is traced.
    setTraced(null);
    parse
      .then((parsed) => {
        setInput(parsed.input);
        // The paste shows the node's IPs (IPVS NodePort services): use them, once per new text.
        const inferred = parsed.node.nodeIPs;
        if (inferred.length > 0 && adopted.current !== dumpText) {
          adopted.current = dumpText;
          const { context: now, setContext } = useAppStore.getState();
          if (inferred.join() !== (now.nodeIPs ?? []).map((ip) => ip.split('/')[0]).join())
            setContext({ ...now, nodeIPs: inferred });
        }
        setPresets(parsed.presets);
        setDiagnostics(parsed.diagnostics);
        setEngine({
          summary: parsed.summary,
          errors: parsed.errors,
          kept: parsed.kept,
          mode: parsed.node.mode,
          ms: { parse: parsed.ms },
        });
        unchecked.current = bigDump && !parsed.kept ? parsed.revision : null;
      })
      .catch(ignoreStale)
      .catch((error: unknown) => {
        setEngine({ status: 'failed', message: error instanceof Error ? error.message : String(error) });
      });
  }, [dumpText, bigDump, nodeIP, kubeOptions, podCIDR, setEngine, setPresets, setDiagnostics, setInput]);

  // Trace the packet through the parsed ruleset.
  useEffect(() => {
    const engine = client.current;
    const parse = parsing;
    if (!engine || !parse) return;
    let current = true;
    setEngine({ status: 'working' });
    (async () => {
      const parsed = await parse;
      if (!current) return;
      const response = await engine.request({ kind: 'trace', packet, context });
      if (!current) return;
      setResult(response.result, response.rules);
      const likeliest = [...response.result.paths].sort((a, b) => b.probability - a.probability)[0];
      const ms = { ...useAppStore.getState().engine.ms, trace: response.ms };
      setEngine({ trace: likeliest && { paths: response.result.paths.length, likeliest }, ms });
      setTraced({ parsed, response });
    })().catch(failed(() => current));
    return () => {
      current = false;
    };
  }, [parsing, packet, context, setEngine, setResult, failed]);

  // Draw the chosen path of the trace (a new path only redraws); a big dump's rules are checked last.
  useEffect(() => {
    const engine = client.current;
    if (!engine || !traced) return;
    let current = true;
    const { parsed, response } = traced;
    (async () => {
      const built = await engine.request({
        kind: 'graph',
        path: Math.min(pathIndex, Math.max(0, response.result.paths.length - 1)),
        // A big dump opens on fewer nodes (the path, its neighbours, folded families): React Flow
        // takes a few hundred nodes in one commit of 100–170 ms, and search or a click unfolds more.
        options: {
          expand: expanded,
          reveal: focus ? [focus] : [],
          ...(parsed.summary.rules > 50_000 ? { maxNodes: 200 } : {}),
        },
      });
      if (!current) return;
      const { nodes, edges, groups } = built.graph;
      setGraph(built.graph);
      setEngine({
        status: 'ready',
        graph: { nodes: nodes.length, edges: edges.length, groups: groups.length },
        ms: { ...useAppStore.getState().engine.ms, graph: built.ms },
        message: undefined,
      });
      if (unchecked.current !== parsed.revision) return;
      unchecked.current = null;
      const checked = await engine.request({ kind: 'check' });
      // Unless a newer input has taken over meanwhile (its diagnostics replaced these).
      if (useAppStore.getState().diagnostics !== parsed.diagnostics) return;
      setDiagnostics([...useAppStore.getState().diagnostics, ...checked.diagnostics]);
      setEngine({
        errors: parsed.errors + checked.errors,
        ms: { ...useAppStore.getState().engine.ms, check: checked.ms },
      });
    })().catch(failed(() => current));
    return () => {
      current = false;
    };
  }, [traced, pathIndex, expanded, focus, setEngine, setGraph, setDiagnostics, failed]);
}
