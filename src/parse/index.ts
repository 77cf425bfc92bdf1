// parse: iptables-save / ip6tables-save text → Ruleset + diagnostics; a whole node paste (with
// ipset save/list and ipvsadm-save/-Ln sections) → NodeDump (parseNodeDump).
// In: the text as pasted (counters, tabs, CRLF, grep excerpts, several dumps, mixed outputs).
// Out: every table, chain, rule, set and virtual service that could be read, and a Diagnostic per problem.

export {
  canonicalIp,
  cidrContains,
  formatCidr,
  formatIp,
  hostPort,
  type IpValue,
  netmapAddress,
  parseCidr,
  parseIp,
} from './address';
export { checkAllRules, findChain, findTable, getRule, markTargetOf, ruleLocation } from './decode-rule';
export { parseIpsetList } from './ipset-list';
export { formatIpsetSave, type IpsetParseResult, parseIpsetSave } from './ipset-save';
export { type ParseOptions, type ParseResult, parseIptablesSave } from './iptables-save';
export {
  formatIpvsadmSave,
  type IpvsParseResult,
  ipvsServiceKey,
  ipvsServiceName,
  parseIpvsadm,
} from './ipvsadm';
export { nodeDumpSections, parseNodeDump } from './node-dump';
export { readTarget, type TargetOption, type TargetWords, targetOption, targetValue } from './target-words';
