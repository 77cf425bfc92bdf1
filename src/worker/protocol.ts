// The messages between the page and the engine worker. Every request carries an id the response
// echoes. Per kind the latest request wins: the client rejects an older pending one at once,
// and the worker drops queued requests that a newer one of their kind has overtaken.

import type { ChainInfo, Graph, GraphOptions, PacketPreset, SearchHit } from '../graph';
import type { Diagnostic, Family, NodeContext, NodeDumpSection, Packet, TraceResult } from '../model';
import type { InputInfo, KubeInputOptions } from './input';

export type RequestKind = 'parse' | 'search' | 'chain' | 'trace' | 'graph' | 'slice' | 'text' | 'check';

/** The order a queue of requests runs in: each kind depends on the ones before it. */
export const PIPELINE: readonly RequestKind[] = [
  'parse',
  'search',
  'chain',
  'trace',
  'graph',
  'slice',
  'text',
  'check',
];

/** Parse a dump; the worker keeps the ruleset for later trace and graph requests. */
export interface ParseRequest {
  id: number;
  kind: 'parse';
  /** The whole text: a string crosses once per edit, never re-serialised. */
  text: string;
  /**
   * A dropped file or a pasted clipboard blob to read instead of `text`: a handle, cheap to post,
   * read in the worker, so a 30 MB dump never becomes a string on the main thread.
   */
  file?: Blob;
  /** Decode every rule to report bad option values (default true). */
  checkRules?: boolean;
  /** Where NodePort presets are aimed (default 192.168.0.2). */
  nodeIP?: string;
  /** kube-proxy's options, when the text is Kubernetes YAML. */
  kube?: KubeInputOptions;
}

/** Walk a packet through the last good ruleset. */
export interface TraceRequest {
  id: number;
  kind: 'trace';
  packet: Packet;
  /** Overrides of the default node context (sim's nodeContext()). */
  context?: Partial<NodeContext>;
}

/** Build (and lay out) the chain graph of the last good ruleset, emphasising one path of the last trace. */
export interface GraphRequest {
  id: number;
  kind: 'graph';
  /** Which path of the last trace to emphasise (default 0); none when there is no trace. */
  path?: number;
  options?: GraphOptions;
}

/** The last good ruleset cut down to the chains the last trace walks (for links that would be too long). */
export interface SliceRequest {
  id: number;
  kind: 'slice';
  /** For reading, not sharing: long chains keep only the rules near a matched one (`sliceDump`). */
  around?: number;
}

/** The whole text of the ruleset in use (a big dump the page never held, to show it read-only). */
export interface TextRequest {
  id: number;
  kind: 'text';
}

/** What the ruleset in use has under a chain name: per table its rule count and Service (the editor's hover). */
export interface ChainRequest {
  id: number;
  kind: 'chain';
  name: string;
}

/** Decode every rule of the ruleset in use for bad option values (a big dump parsed with `checkRules: false`). */
export interface CheckRequest {
  id: number;
  kind: 'check';
}

/** Chains of the ruleset in use whose name or rules hold a chain name, Service, IP or port. */
export interface SearchRequest {
  id: number;
  kind: 'search';
  query: string;
  /** At most this many chains (default 20). */
  limit?: number;
}

export type EngineRequest =
  | ParseRequest
  | SearchRequest
  | ChainRequest
  | TraceRequest
  | GraphRequest
  | SliceRequest
  | TextRequest
  | CheckRequest;

export interface RulesetSummary {
  tables: number;
  chains: number;
  rules: number;
  families: Family[];
  /** Length of the text in UTF-16 units. */
  length: number;
}

export interface NodeInfo {
  mode: 'ipvs' | 'iptables';
  /** Node IPs inferred from the paste (ipvs mode: its NodePort virtual services); empty when it shows none. */
  nodeIPs: string[];
  sections: NodeDumpSection[];
  virtualServices: number;
  ipsets: number;
}

/** At most this many diagnostics cross back; `diagnosticCount` says how many there were. */
export const MAX_DIAGNOSTICS = 500;

export interface ParseResponse {
  id: number;
  kind: 'parse';
  /** The ruleset now in use: the new one, or the last good one when `kept`. */
  summary: RulesetSummary;
  diagnostics: Diagnostic[];
  diagnosticCount: number;
  errors: number;
  /** The input had errors, so the last good ruleset stays in use (and its graph stays valid). */
  kept: boolean;
  /** Bumped whenever the ruleset in use changes; traces and graphs say which one they are of. */
  revision: number;
  /** Packets worth tracing, from the ruleset in use (its Services). */
  presets: PacketPreset[];
  /** What the text was: a dump, or YAML and the dump generated from it. */
  input: InputInfo;
  /** What the paste says about the node: kube-proxy's mode, node IPs it shows, its sections. */
  node: NodeInfo;
  ms: number;
}

/** A rule as the page shows it beside a step: where it is and what it says. */
export interface RuleText {
  line: number;
  text: string;
}

export interface TraceResponse {
  id: number;
  kind: 'trace';
  result: TraceResult;
  /** The text of every rule the paths' events name, by global rule id. */
  rules: Record<number, RuleText>;
  revision: number;
  ms: number;
}

export interface GraphResponse {
  id: number;
  kind: 'graph';
  graph: Graph;
  revision: number;
  /** The path emphasised, or null when there was no trace. */
  path: number | null;
  ms: number;
}

/** A request that could not be served: nothing parsed yet, a path that does not exist, or a bug. */
export interface ErrorResponse {
  id: number;
  kind: 'error';
  request: RequestKind;
  message: string;
}

export interface SliceResponse {
  id: number;
  kind: 'slice';
  /** A valid iptables-save text with only the walked chains (and empty declarations of their jump targets). */
  text: string;
  ms: number;
}

/** Posted as a string, not JSON: 30 MB of text is one copy, not an escape and a parse. */
export interface TextResponse {
  id: number;
  kind: 'text';
  text: string;
  revision: number;
  ms: number;
}

export interface ChainResponse {
  id: number;
  kind: 'chain';
  name: string;
  chains: ChainInfo[];
  revision: number;
  ms: number;
}

export interface CheckResponse {
  id: number;
  kind: 'check';
  /** Only the rules' problems: the parse already reported the structural ones. */
  diagnostics: Diagnostic[];
  diagnosticCount: number;
  errors: number;
  revision: number;
  ms: number;
}

export interface SearchResponse {
  id: number;
  kind: 'search';
  query: string;
  hits: SearchHit[];
  revision: number;
  ms: number;
}

export type EngineResponse =
  | ParseResponse
  | SearchResponse
  | TraceResponse
  | GraphResponse
  | SliceResponse
  | TextResponse
  | ChainResponse
  | CheckResponse
  | ErrorResponse;

/** The response a request of kind K resolves to. */
export type ResponseOf<K extends RequestKind> = Extract<EngineResponse, { kind: K }>;

/** A request as the client writes it, before it gets an id. */
export type Unnumbered<R> = R extends unknown ? Omit<R, 'id'> : never;
