// The graph stage's output: plain data a canvas can render, independent of React Flow.
// Positions are absolute (top-left corner), sizes in CSS pixels.
import type { Family, HookName, TableName } from '../model';

/** What a chain is, from kube-proxy's naming (pkg/proxy/iptables/proxier.go) or its place in netfilter. */
export type ChainKind = 'base' | 'SVC' | 'SEP' | 'EXT' | 'FW' | 'SVL' | 'XLB' | 'NODEPORTS' | 'SERVICES' | 'other';

/** Chain kinds whose chains come in thousands and collapse into one group node per table. */
export type FamilyKind = 'SVC' | 'SEP' | 'EXT' | 'FW' | 'SVL' | 'XLB';

/** What a group node folds: one family, or the other user chains of a table. */
export type GroupKind = FamilyKind | 'other';

export interface Point {
  x: number;
  y: number;
}

export interface Size {
  width: number;
  height: number;
}

/** Jumps to a utility chain (KUBE-MARK-MASQ …), drawn on the calling chain instead of as edges. */
export interface Badge {
  /** The utility chain jumped to, or for an `ipset` badge the set the rules look up. */
  chain: string;
  /** `ipset`: rules of this chain match on the set (`-m set --match-set`), kube-proxy IPVS mode's way. */
  kind?: 'jump' | 'ipset';
  /** Global rule ids of the rules that jump there, in chain order. */
  ruleIds: number[];
  /** The same rules' 1-based positions in the calling chain (what the page can show without the ruleset). */
  positions: number[];
}

interface NodeBase {
  id: string;
  label: string;
  position: Point;
  size: Size;
  /** On the trace's route. */
  onPath: boolean;
}

/** A netfilter hook on the spine; its base chains sit inside it (their `parent`). */
export interface HookNode extends NodeBase {
  kind: 'hook';
  hook: HookName;
}

/** The routing decision after PREROUTING, the local process between INPUT and OUTPUT, and IPVS (kube-proxy ipvs mode). */
export interface StageNode extends NodeBase {
  kind: 'routing' | 'local' | 'ipvs';
}

export interface ChainNode extends NodeBase {
  kind: 'chain';
  chainKind: ChainKind;
  family: Family;
  table: TableName;
  chain: string;
  /** kube-proxy's service port name (`ns/name:port`) from the chain's comments. */
  service?: string;
  /** The hook node a base chain sits in. */
  parent?: string;
  /** Base chains: the policy. */
  policy?: 'ACCEPT' | 'DROP' | null;
  counts: { rules: number; jumpsIn: number; jumpsOut: number };
  badges: Badge[];
  /** A utility chain: reached through badges, not edges. */
  utility: boolean;
}

/** A family of chains collapsed into one node ("KUBE-SEP ×2,311"); expand it by id. */
export interface GroupNode extends NodeBase {
  kind: 'group';
  family: Family;
  table: TableName;
  chainKind: GroupKind;
  counts: { chains: number; rules: number };
}

export type GraphNode = HookNode | StageNode | ChainNode | GroupNode;

export type EdgeKind = 'flow' | 'jump' | 'goto' | 'loopback';

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  kind: EdgeKind;
  /** How many rules (or spine links) this edge stands for. */
  count: number;
  /** Up to the first few rule ids it stands for (jump and goto edges). */
  ruleIds: number[];
  onPath: boolean;
}

/** A collapsible family (or the other chains of a table): its group node id, and how many of its chains are shown as chains. */
export interface GraphGroup {
  id: string;
  family: Family;
  table: TableName;
  chainKind: GroupKind;
  label: string;
  /** Every chain of the family. */
  total: number;
  /** Chains shown individually (on the path, neighbours, or expanded). */
  shown: number;
  expanded: boolean;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  groups: GraphGroup[];
  /** For each step of the path (pathSteps: trace events with IPVS's steps in place), the node it happens in: the token's route. */
  path: string[];
  /** Chains in the ruleset, shown or not. */
  totalChains: number;
}

export interface GraphOptions {
  /** At most this many nodes (default 1000). */
  maxNodes?: number;
  /** Group ids to expand (as many of their chains as the budget allows). */
  expand?: readonly string[];
  /** Chain node ids (`c:4:nat:KUBE-SEP-…`) to show as chains even when their family is folded: a search's hits. */
  reveal?: readonly string[];
  /** Neighbours of a path chain shown on big dumps, per chain (default 8). */
  neighboursPerChain?: number;
  /** Lay user chains out with dagre (default true; tests of structure may skip it). */
  layout?: boolean;
}
