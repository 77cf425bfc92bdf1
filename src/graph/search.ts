import type { Family, Ruleset, TableName } from '../model';
import { getRule } from '../parse';
import { chainNodeId } from './build';
import { servicePortName } from './chain-kind';

// Search a ruleset for the chains a person means by a chain name, a Service (`ns/name:port`),
// an IP or a port: chains whose name holds the query, then chains with a rule whose text holds
// it, in dump order. Plain substring search over the text the ruleset keeps (no rule decoded
// but the hits'), so a 30 MB dump answers in tens of milliseconds.

export interface SearchHit {
  /** The chain's node id in the graph (`c:4:nat:KUBE-SVC-…`); pass it as GraphOptions.reveal. */
  id: string;
  chain: string;
  table: TableName;
  family: Family;
  /** kube-proxy's service port name, from the chain's comments. */
  service?: string;
  /** What matched: the chain's name, or the first matching rule (its line and text). */
  match: { kind: 'name' } | { kind: 'rule'; line: number; text: string };
}

/** Rule texts in hits are cut to this many characters. */
const RULE_TEXT = 400;
/** Occurrences looked at per search (a port like 80 is in thousands of rules). */
const MAX_OCCURRENCES = 20_000;

/** The rule whose text spans `offset`, or −1 (a header, a declaration, a comment line). */
function ruleAt(ruleset: Ruleset, offset: number): number {
  const { start, end, count } = ruleset.rules;
  let lo = 0;
  let hi = count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (start[mid] > offset) hi = mid - 1;
    else if (end[mid] <= offset) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** kube-proxy's service port name for a chain, from the comments of its first rules. */
function serviceOf(ruleset: Ruleset, t: number, c: number): string | undefined {
  const rules = ruleset.tables[t].chains[c].rules;
  for (let k = 0; k < rules.length && k < 4; k++) {
    const name = servicePortName(getRule(ruleset, rules[k]).comment);
    if (name) return name;
  }
  return undefined;
}

/** A chain of one table, as the editor's hover shows it. */
export interface ChainInfo {
  table: TableName;
  family: Family;
  rules: number;
  /** A built-in chain's policy. */
  policy?: string;
  service?: string;
}

/** The chain called `name` in each table that has one. */
export function chainInfo(ruleset: Ruleset, name: string): ChainInfo[] {
  const out: ChainInfo[] = [];
  ruleset.tables.forEach((table, t) => {
    const c = table.chainIndex.get(name);
    if (c === undefined) return;
    const chain = table.chains[c];
    const service = serviceOf(ruleset, t, c);
    out.push({
      table: table.name,
      family: table.family,
      rules: chain.rules.length,
      ...(chain.builtin && chain.policy ? { policy: chain.policy } : {}),
      ...(service ? { service } : {}),
    });
  });
  return out;
}

export function searchChains(ruleset: Ruleset, query: string, limit = 20): SearchHit[] {
  const q = query.trim();
  if (q.length < 2) return [];
  const hits: SearchHit[] = [];
  const seen = new Set<string>();
  const add = (t: number, c: number, match: SearchHit['match']) => {
    const table = ruleset.tables[t];
    const chain = table.chains[c];
    const id = chainNodeId(table.family, table.name, chain.name);
    if (seen.has(id)) return;
    seen.add(id);
    const service = serviceOf(ruleset, t, c);
    hits.push({
      id,
      chain: chain.name,
      table: table.name,
      family: table.family,
      ...(service ? { service } : {}),
      match,
    });
  };
  // Chain names are upper case; people type them in any case.
  const upper = q.toUpperCase();
  ruleset.tables.forEach((table, t) => {
    table.chains.forEach((chain, c) => {
      if (hits.length < limit && chain.name.toUpperCase().includes(upper)) add(t, c, { kind: 'name' });
    });
  });
  const { text, rules } = ruleset;
  const needles = [...new Set([q, q.toLowerCase(), upper])];
  const offsets: number[] = [];
  for (const needle of needles) {
    for (let at = text.indexOf(needle); at >= 0 && offsets.length < MAX_OCCURRENCES; at = text.indexOf(needle, at + 1))
      offsets.push(at);
  }
  offsets.sort((a, b) => a - b);
  for (const at of offsets) {
    if (hits.length >= limit) break;
    const r = ruleAt(ruleset, at);
    if (r < 0) continue;
    const ruleText = text.slice(rules.start[r], Math.min(rules.end[r], rules.start[r] + RULE_TEXT));
    add(rules.table[r], rules.chain[r], { kind: 'rule', line: rules.line[r], text: ruleText });
  }
  return hits;
}
