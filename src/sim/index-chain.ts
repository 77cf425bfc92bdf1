import type { ChainDispatch, Rule, Ruleset, Table } from '../model';
import { formatIp, getRule } from '../parse';

// kube-proxy's KUBE-SERVICES holds one rule per Service port (20k on big
// nodes), each with an exact `-d VIP/32`. Testing every rule for every packet
// costs milliseconds; bucketing rules by their exact destination (or exact
// --dport, for KUBE-NODEPORTS) costs one pass per chain and keeps the order:
// a rule left out of a bucket could never match that destination.

const MIN_RULES = 32;

function exactDst(rule: Rule): string | null {
  const d = rule.dst;
  if (!d || d.invert) return null;
  const full = d.cidr.family === 4 ? d.cidr.prefix === 32 : d.cidr.prefix === 128;
  if (!full) return null;
  return d.cidr.family === 4
    ? formatIp({ family: 4, value: d.cidr.addr })
    : formatIp({ family: 6, value: d.cidr.addr });
}

function exactDport(rule: Rule): number | null {
  for (const m of rule.matches) {
    if (
      (m.kind === 'tcp' || m.kind === 'udp' || m.kind === 'sctp') &&
      m.dport &&
      !m.dport.invert &&
      m.dport.lo === m.dport.hi
    )
      return m.dport.lo;
  }
  return null;
}

function build(ruleset: Ruleset, ids: number[]): ChainDispatch | null {
  const rules = ids.map((id) => getRule(ruleset, id));
  const byDst = rules.filter((r) => exactDst(r) !== null).length;
  const byPort = rules.filter((r) => exactDport(r) !== null).length;
  const key = byDst >= byPort ? 'dst' : 'dport';
  if (Math.max(byDst, byPort) < rules.length / 2) return null;
  const buckets = new Map<string | number, number[]>();
  const general: number[] = [];
  for (const r of rules) {
    const k = key === 'dst' ? exactDst(r) : exactDport(r);
    if (k === null) general.push(r.id);
    else {
      const b = buckets.get(k);
      if (b) b.push(r.id);
      else buckets.set(k, [r.id]);
    }
  }
  return { key, buckets, general, merged: new Map() };
}

/** The rule ids of chain `chainIdx` that a packet to dst:dport must be tested against, in chain order. */
export function candidates(
  ruleset: Ruleset,
  table: Table,
  chainIdx: number,
  dst: string,
  dport: number,
): ArrayLike<number> {
  const chain = table.chains[chainIdx];
  if (chain.rules.length < MIN_RULES) return chain.rules;
  let d = ruleset.dispatch.get(chain);
  if (d === undefined) {
    d = build(ruleset, chain.rules);
    ruleset.dispatch.set(chain, d);
  }
  if (!d) return chain.rules;
  const key = d.key === 'dst' ? dst : dport;
  const cached = d.merged.get(key);
  if (cached) return cached;
  const bucket = d.buckets.get(key) ?? [];
  const rs = ruleset.rules;
  // Merge two lists already in chain order.
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < bucket.length || j < d.general.length) {
    if (j >= d.general.length || (i < bucket.length && rs.position[bucket[i]] < rs.position[d.general[j]]))
      out.push(bucket[i++]);
    else out.push(d.general[j++]);
  }
  if (d.merged.size < 4096) d.merged.set(key, out);
  return out;
}
