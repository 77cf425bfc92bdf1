// parse: iptables-save / ip6tables-save text → Ruleset + diagnostics.
// In: the text as pasted (counters, tabs, CRLF, grep excerpts, several dumps).
// Out: every table, chain and rule that could be read, and a Diagnostic per problem.

export { canonicalIp, cidrContains, formatCidr, formatIp, type IpValue, parseCidr, parseIp } from './address';
export { checkAllRules, findChain, findTable, getRule, ruleLocation } from './decode-rule';
export { type IpsetParseResult, parseIpsetSave } from './ipset-save';
export { type ParseResult, parseIptablesSave } from './iptables-save';
