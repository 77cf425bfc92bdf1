// nft rule handles → iptables rule positions. xtables-monitor prints a rule's
// nft handle; chainwalk speaks 1-based positions. `nft -j -a list table ip T`
// lists every rule of a table in chain order, so a rule's position is its rank
// among its chain's rules.

import { run } from './exec';

export interface RulePosition {
  chain: string;
  position: number;
}

/** table → handle → position. */
export type HandleMap = Map<string, Map<number, RulePosition>>;

interface NftJson {
  nftables: Array<{ rule?: { table: string; chain: string; handle: number } }>;
}

export function handlesFromNftJson(table: string, json: string): Map<number, RulePosition> {
  const doc = JSON.parse(json) as NftJson;
  const counts = new Map<string, number>();
  const out = new Map<number, RulePosition>();
  for (const item of doc.nftables) {
    const rule = item.rule;
    if (!rule || rule.table !== table) continue;
    const position = (counts.get(rule.chain) ?? 0) + 1;
    counts.set(rule.chain, position);
    out.set(rule.handle, { chain: rule.chain, position });
  }
  return out;
}

export async function readHandles(
  nsExec: (argv: string[]) => string[],
  family: 'ip' | 'ip6',
  tables: string[],
): Promise<HandleMap> {
  const map: HandleMap = new Map();
  for (const table of tables) {
    const { stdout } = await run(nsExec(['nft', '-j', '-a', 'list', 'table', family, table]));
    map.set(table, handlesFromNftJson(table, stdout));
  }
  return map;
}
