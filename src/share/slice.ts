import type { IpsetState, IpvsVirtualService, NodeDump, Ruleset, TableName, TraceResult } from '../model';
import { BUILTIN_CHAINS } from '../model';
import { formatIpsetSave, formatIpvsadmSave, getRule } from '../parse';
import { inferNodeIPs } from '../sim';

// A sliced dump: only the tables and chains a trace walks, as valid iptables-save text. The
// walked chains keep all their rules (so the walk is the same); chains they jump to but the
// packet never enters are declared empty. For a node paste (`node`: its ipsets and IPVS table) the
// slice also holds, as `ipset save` and `ipvsadm-save -n` sections, every set a kept rule names and
// the virtual services the walk met, so the walk is the same there too.
//
// With `around`, a long chain shows only the rules within `around` of one the trace matched (and
// its first ones); each run left out is one comment line. Rules no path matched leave no trace
// event, so this shorter slice walks the packet the same way too. It is what the editor shows of a
// dump too big to edit: KUBE-SERVICES of a 10k-Service node is 10k rules, one of them matched.

export interface SliceOptions {
  /** Keep only the rules this close to a matched one in chains longer than `LONG_CHAIN`. */
  around?: number;
}

/** A chain shorter than this is always kept whole. */
const LONG_CHAIN = 40;

export function sliceDump(
  ruleset: Ruleset,
  result: TraceResult,
  node?: Pick<NodeDump, 'ipsets' | 'ipvs'> | null,
  options: SliceOptions = {},
): string {
  const visited = new Set<string>();
  const matched = new Set<number>();
  const key = (table: number, chain: number) => `${table}/${chain}`;
  const tablesUsed = new Set<number>();
  for (const path of result.paths) {
    for (const e of path.events) {
      for (let t = 0; t < ruleset.tables.length; t++) {
        const table = ruleset.tables[t];
        if (table.name !== e.table) continue;
        const c = table.chainIndex.get(e.chain);
        if (c === undefined) continue;
        if (e.ruleId !== null && ruleset.rules.table[e.ruleId] !== t) continue;
        if (e.ruleId !== null) matched.add(e.ruleId);
        visited.add(key(t, c));
        tablesUsed.add(t);
      }
    }
  }
  const rs = ruleset.rules;
  const setsUsed = new Set<string>();
  const out: string[] = ['# A slice of an iptables-save dump made by chainwalk: only the chains one trace walks.'];
  for (const t of [...tablesUsed].sort((a, b) => a - b)) {
    const table = ruleset.tables[t];
    const declare = new Set<number>();
    /** Rule ids, and comment lines where rules are left out. */
    const rules: (number | string)[] = [];
    table.chains.forEach((chain, c) => {
      if (
        chain.builtin &&
        BUILTIN_CHAINS[table.name as TableName].includes(chain.name) &&
        (chain.declared || chain.rules.length > 0)
      )
        declare.add(c);
      if (!visited.has(key(t, c))) return;
      declare.add(c);
      const kept = keptRules(chain.rules, matched, options.around);
      let skipped = 0;
      chain.rules.forEach((id, i) => {
        if (!kept(i)) {
          skipped++;
          return;
        }
        if (skipped > 0) rules.push(leftOut(skipped, chain.name));
        skipped = 0;
        rules.push(id);
        if (rs.jumpChain[id] >= 0) declare.add(rs.jumpChain[id]);
      });
      if (skipped > 0) rules.push(leftOut(skipped, chain.name));
    });
    out.push(`*${table.name}`);
    for (const c of [...declare].sort((a, b) => a - b)) {
      const chain = table.chains[c];
      out.push(`:${chain.name} ${chain.builtin ? (chain.policy ?? 'ACCEPT') : '-'} [0:0]`);
    }
    for (const id of rules) out.push(typeof id === 'string' ? id : ruleset.text.slice(rs.start[id], rs.end[id]));
    out.push('COMMIT');
    if (node)
      for (const id of rules)
        if (typeof id === 'number')
          for (const m of getRule(ruleset, id).matches) if (m.kind === 'set') setsUsed.add(m.name);
  }
  let text = `${out.join('\n')}\n`;
  if (node) text += formatIpsetSave(usedSets(node.ipsets, setsUsed)) + formatIpvsadmSave(servicesMet(node, result));
  return text;
}

/** Which rules (by position in the chain) a slice keeps: all, or those near a matched one. */
function keptRules(ids: readonly number[], matched: Set<number>, around: number | undefined): (i: number) => boolean {
  if (around === undefined || ids.length < LONG_CHAIN) return () => true;
  const keep = new Uint8Array(ids.length);
  const mark = (at: number) => {
    for (let i = Math.max(0, at - around); i <= Math.min(ids.length - 1, at + around); i++) keep[i] = 1;
  };
  mark(0);
  ids.forEach((id, i) => {
    if (matched.has(id)) mark(i);
  });
  return (i) => keep[i] === 1;
}

const leftOut = (count: number, chain: string) =>
  `# … ${count.toLocaleString('en')} ${count === 1 ? 'rule' : 'rules'} of ${chain} left out here: this trace matched none of them`;

/** The named sets, and the member sets of a list:set among them. */
function usedSets(sets: Record<string, IpsetState>, names: Set<string>): Record<string, IpsetState> {
  const out: Record<string, IpsetState> = {};
  const add = (name: string) => {
    const set = sets[name];
    if (!set || out[name]) return;
    out[name] = set;
    if (set.type === 'list:set') for (const e of set.entries) add(e.trim().split(/\s+/)[0]);
  };
  for (const name of names) add(name);
  // The node IPs are read from the NodePort virtual services and these sets (inferNodeIPs).
  for (const name of Object.keys(sets)) if (/^KUBE-(?:6-)?NODE-PORT-/.test(name)) add(name);
  return out;
}

/**
 * The virtual services the walk met (scheduled on, or on an address the packet was sent to), and one per
 * NodePort address so the node IPs read from the paste stay the same.
 */
function servicesMet(node: Pick<NodeDump, 'ipsets' | 'ipvs'>, result: TraceResult): IpvsVirtualService[] {
  const services = node.ipvs?.services ?? [];
  const lines = new Set<number>();
  const addresses = new Set<string>();
  for (const path of result.paths) {
    for (const e of path.ipvs ?? []) if (e.action !== 'forward' && e.span) lines.add(e.span.line);
    // Every virtual-service address is LOCAL (kube-ipvs0): keep those the packet was sent to.
    for (const e of [...path.events, ...(path.ipvs ?? [])]) addresses.add(e.before.dst).add(e.after.dst);
  }
  const kept = services.filter((svc) => lines.has(svc.span.line) || addresses.has(svc.address));
  const seen = new Set(kept.map((svc) => svc.address));
  for (const ip of inferNodeIPs(node)) {
    const svc = services.find((x) => x.address === ip);
    if (svc && !seen.has(ip)) {
      kept.push(svc);
      seen.add(ip);
    }
  }
  return kept;
}
