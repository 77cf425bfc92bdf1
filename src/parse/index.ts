// parse: iptables-save / ip6tables-save text → Ruleset + diagnostics.
// In: the text as pasted (counters, tabs, CRLF, grep excerpts, several dumps).
// Out: every table, chain and rule that could be read, and a Diagnostic per problem.
export { parseIptablesSave, type ParseResult } from './iptables-save';
export { getRule, findTable, findChain, ruleLocation } from './decode-rule';
export { parseCidr, parseIp, formatIp, formatCidr, cidrContains, canonicalIp, type IpValue } from './address';
