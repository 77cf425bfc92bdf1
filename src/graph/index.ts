// graph: a Ruleset (and optionally one trace path) → plain nodes, edges and groups for a canvas.
// In: the parsed ruleset, the path to emphasise, a node budget and the groups to expand.
// Out: the hand-placed netfilter spine, user chains laid out by dagre, big families collapsed.

export { buildGraph, CHAIN_SIZE, chainNodeId, groupNodeId, hookNodeId, IPVS_NODE, thousands } from './build';
export { chainKind, servicePortName } from './chain-kind';
export { ipvsPresets, type PacketPreset, packetPresets } from './presets';
export { type ChainInfo, chainInfo, type SearchHit, searchChains } from './search';
export { ipvsLabel, type PathStep, pathSteps } from './steps';
export { graphToSvg } from './svg';
export type * from './types';
