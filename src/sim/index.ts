// sim: walk a packet through a Ruleset as netfilter does.
// In: a Ruleset, a NodeContext (defaults via nodeContext(), or nodeContextFromDump() for a node paste
// with ipsets and IPVS), a Packet.
// Out: every path the packet can take, each with its probability, kernel-style events and final header.

export { IPVS_DUMMY, inferNodeIPs, nodeContext, nodeContextFromDump } from './context';
export { type ContractIpvsEvent, type ContractJson, toContractJson } from './contract';
export { simulate } from './walk';
