import type { Ruleset, TableName, TraceResult } from '../model';
import { BUILTIN_CHAINS } from '../model';

// A sliced dump: only the tables and chains a trace walks, as valid iptables-save text. The
// walked chains keep all their rules (so the walk is the same); chains they jump to but the
// packet never enters are declared empty.

export function sliceDump(ruleset: Ruleset, result: TraceResult): string {
  const visited = new Set<string>();
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
        visited.add(key(t, c));
        tablesUsed.add(t);
      }
    }
  }
  const rs = ruleset.rules;
  const out: string[] = ['# A slice of an iptables-save dump made by chainwalk: only the chains one trace walks.'];
  for (const t of [...tablesUsed].sort((a, b) => a - b)) {
    const table = ruleset.tables[t];
    const declare = new Set<number>();
    const rules: number[] = [];
    table.chains.forEach((chain, c) => {
      if (
        chain.builtin &&
        BUILTIN_CHAINS[table.name as TableName].includes(chain.name) &&
        (chain.declared || chain.rules.length > 0)
      )
        declare.add(c);
      if (!visited.has(key(t, c))) return;
      declare.add(c);
      for (const id of chain.rules) {
        rules.push(id);
        if (rs.jumpChain[id] >= 0) declare.add(rs.jumpChain[id]);
      }
    });
    out.push(`*${table.name}`);
    for (const c of [...declare].sort((a, b) => a - b)) {
      const chain = table.chains[c];
      out.push(`:${chain.name} ${chain.builtin ? (chain.policy ?? 'ACCEPT') : '-'} [0:0]`);
    }
    for (const id of rules) out.push(ruleset.text.slice(rs.start[id], rs.end[id]));
    out.push('COMMIT');
  }
  return `${out.join('\n')}\n`;
}
