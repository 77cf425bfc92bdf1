// The engine's core: what the worker does with each request, as plain functions of the state, so
// it runs (and is tested) in Node. The worker entry only adds the message loop.
import { buildGraph, chainInfo, ipvsPresets, packetPresets, searchChains } from '../graph';
import type { Diagnostic, Ruleset, TraceResult } from '../model';
import { checkAllRules, getRule } from '../parse';
import { sliceDump } from '../share';
import { inferNodeIPs, nodeContextFromDump, simulate } from '../sim';
import { NO_EXTRAS, type NodeExtras, prepareInput, readDump } from './input';
import {
  type EngineRequest,
  type EngineResponse,
  type GraphRequest,
  MAX_DIAGNOSTICS,
  type ParseRequest,
  PIPELINE,
  type RulesetSummary,
  type RuleText,
  type TraceRequest,
} from './protocol';

export interface EngineState {
  /** The last good ruleset (the latest input without errors, or the first input at all). */
  ruleset: Ruleset | null;
  /** The ipsets and IPVS table that came with it. */
  extras: NodeExtras;
  revision: number;
  /** The last trace, of `ruleset` at `revision`. */
  trace: TraceResult | null;
}

export const initialState: EngineState = { ruleset: null, extras: NO_EXTRAS, revision: 0, trace: null };

export interface Handled {
  state: EngineState;
  response: EngineResponse;
}

type Clock = () => number;

/** Serves one request. Never throws: a bug becomes an error response. */
export function handle(state: EngineState, request: EngineRequest, clock: Clock = () => 0): Handled {
  const started = clock();
  const elapsed = () => Math.round((clock() - started) * 10) / 10;
  try {
    switch (request.kind) {
      case 'parse':
        return parse(state, request, elapsed);
      case 'trace':
        return trace(state, request, elapsed);
      case 'graph':
        return graph(state, request, elapsed);
      case 'search':
        if (!state.ruleset) return failure(state, request, 'no dump has been parsed yet');
        return {
          state,
          response: {
            id: request.id,
            kind: 'search',
            query: request.query,
            hits: searchChains(state.ruleset, request.query, Math.min(request.limit ?? 20, 100)),
            revision: state.revision,
            ms: elapsed(),
          },
        };
      case 'check': {
        if (!state.ruleset) return failure(state, request, 'no dump has been parsed yet');
        const diagnostics = checkAllRules(state.ruleset);
        return {
          state,
          response: {
            id: request.id,
            kind: 'check',
            diagnostics: diagnostics.slice(0, MAX_DIAGNOSTICS),
            diagnosticCount: diagnostics.length,
            errors: diagnostics.filter((d) => d.severity === 'error').length,
            revision: state.revision,
            ms: elapsed(),
          },
        };
      }
      case 'text':
        if (!state.ruleset) return failure(state, request, 'no dump has been parsed yet');
        return {
          state,
          response: { id: request.id, kind: 'text', text: state.ruleset.text, revision: state.revision, ms: elapsed() },
        };
      case 'chain':
        if (!state.ruleset) return failure(state, request, 'no dump has been parsed yet');
        return {
          state,
          response: {
            id: request.id,
            kind: 'chain',
            name: request.name,
            chains: chainInfo(state.ruleset, request.name),
            revision: state.revision,
            ms: elapsed(),
          },
        };
      case 'slice':
        if (!state.ruleset || !state.trace) return failure(state, request, 'nothing has been traced yet');
        return {
          state,
          response: {
            id: request.id,
            kind: 'slice',
            text: sliceDump(state.ruleset, state.trace, state.extras, { around: request.around }),
            ms: elapsed(),
          },
        };
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { state, response: { id: request.id, kind: 'error', request: request.kind, message } };
  }
}

export function summarize(ruleset: Ruleset): RulesetSummary {
  return {
    tables: ruleset.tables.length,
    chains: ruleset.tables.reduce((n, table) => n + table.chains.length, 0),
    rules: ruleset.rules.count,
    families: [...new Set(ruleset.tables.map((table) => table.family))].sort(),
    length: ruleset.text.length,
  };
}

function parse(state: EngineState, request: ParseRequest, elapsed: () => number): Handled {
  const input = prepareInput(request.text, request.kube);
  const parsed = readDump(input.dump, request.checkRules ?? true);
  const { ruleset, extras } = parsed;
  // For YAML the markers are the YAML's; a flaw in the generated text is chainwalk's, said once.
  const diagnostics =
    input.info.kind === 'iptables-save'
      ? parsed.diagnostics
      : [...input.diagnostics, ...generatedFlaws(parsed.diagnostics)];
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  // While the input is broken the page keeps showing the last good graph (issue 3, "Editor").
  const kept = errors > 0 && state.ruleset !== null;
  const next: EngineState = kept ? state : { ruleset, extras, revision: state.revision + 1, trace: null };
  const shown = next.extras;
  const nodeIPs = inferNodeIPs(shown);
  const dumpPresets = packetPresets(next.ruleset ?? ruleset, request.nodeIP ?? '192.168.0.2');
  return {
    state: next,
    response: {
      id: request.id,
      kind: 'parse',
      summary: summarize(next.ruleset ?? ruleset),
      diagnostics: diagnostics.slice(0, MAX_DIAGNOSTICS),
      diagnosticCount: diagnostics.length,
      errors,
      kept,
      revision: next.revision,
      // An IPVS node's rules name no Service: its virtual services are the packets to try.
      presets: shown.ipvs
        ? [...ipvsPresets(shown.ipvs, shown.ipsets, nodeIPs.length ? nodeIPs : [request.nodeIP ?? '']), ...dumpPresets]
        : dumpPresets,
      input: input.info,
      node: {
        mode: shown.mode,
        nodeIPs,
        sections: shown.sections,
        virtualServices: shown.ipvs?.services.length ?? 0,
        ipsets: Object.keys(shown.ipsets).length,
      },
      ms: elapsed(),
    },
  };
}

function generatedFlaws(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics
    .filter((d) => d.severity === 'error')
    .slice(0, 1)
    .map((d) => ({
      ...d,
      message: `the generated iptables-save has an error at its line ${d.span.line}: ${d.message} (a bug in chainwalk: please report it)`,
      span: { line: 1, column: 1, length: 0 },
    }));
}

function trace(state: EngineState, request: TraceRequest, elapsed: () => number): Handled {
  if (!state.ruleset) return failure(state, request, 'no dump has been parsed yet');
  const ruleset = state.ruleset;
  const result = simulate(ruleset, nodeContextFromDump(state.extras, request.context), request.packet);
  const rules: Record<number, RuleText> = {};
  for (const path of result.paths) {
    for (const event of path.events) {
      const id = event.ruleId;
      if (id === null || rules[id]) continue;
      rules[id] = { line: ruleset.rules.line[id], text: getRule(ruleset, id).text };
    }
  }
  return {
    state: { ...state, trace: result },
    response: { id: request.id, kind: 'trace', result, rules, revision: state.revision, ms: elapsed() },
  };
}

function graph(state: EngineState, request: GraphRequest, elapsed: () => number): Handled {
  if (!state.ruleset) return failure(state, request, 'no dump has been parsed yet');
  // A trace with no path (the packet was invalid) emphasises nothing: the graph is still drawn.
  const index = state.trace && state.trace.paths.length > 0 ? (request.path ?? 0) : null;
  const path = index === null ? undefined : state.trace?.paths[index];
  if (index !== null && !path)
    return failure(state, request, `the trace has ${state.trace?.paths.length ?? 0} paths; there is no path ${index}`);
  const built = buildGraph(state.ruleset, path, request.options);
  return {
    state,
    response: { id: request.id, kind: 'graph', graph: built, revision: state.revision, path: index, ms: elapsed() },
  };
}

function failure(state: EngineState, request: EngineRequest, message: string): Handled {
  return { state, response: { id: request.id, kind: 'error', request: request.kind, message } };
}

/**
 * The next request to run from a queue, and the ones it makes stale: per kind only the latest
 * counts, and kinds run in pipeline order (a parse before the trace that needs it).
 */
export function nextRequest(queue: readonly EngineRequest[]): { next: EngineRequest | null; dropped: EngineRequest[] } {
  const latest = new Map<string, EngineRequest>();
  for (const request of queue) latest.set(request.kind, request);
  const dropped = queue.filter((request) => latest.get(request.kind) !== request);
  for (const kind of PIPELINE) {
    const next = latest.get(kind);
    if (next) return { next, dropped };
  }
  return { next: null, dropped };
}

/**
 * The worker's message loop, without the worker: requests arrive through `receive`; one runs per
 * scheduled turn, so requests that arrived during a long job are seen (and can overtake) first.
 */
export function createEngineLoop(options: {
  post: (response: EngineResponse) => void;
  schedule: (run: () => void) => void;
  clock?: Clock;
}): { receive: (request: EngineRequest) => void } {
  let state = initialState;
  let queue: EngineRequest[] = [];
  let scheduled = false;
  const turn = () => {
    scheduled = false;
    const { next, dropped } = nextRequest(queue);
    // Stale requests get no answer: the client rejected them when it sent the newer one.
    queue = queue.filter((request) => request !== next && !dropped.includes(request));
    if (!next) return;
    const handled = handle(state, next, options.clock);
    state = handled.state;
    options.post(handled.response);
    wake();
  };
  const wake = () => {
    if (scheduled || queue.length === 0) return;
    scheduled = true;
    options.schedule(turn);
  };
  return {
    receive(request) {
      queue.push(request);
      wake();
    },
  };
}
