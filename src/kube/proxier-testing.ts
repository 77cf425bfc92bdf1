// kube-proxy's own test helpers (pkg/proxy/iptables/proxier_test.go), ported for the tests of
// this folder: the fake proxier's options, sortIPTablesRules, assertIPTablesChainEqual and
// checkIPTablesRuleJumps over a restore buffer.
import type { KubeProxyOptions } from './index';

/** NewFakeProxier: node test-node at 192.168.0.2, detector -s 10.0.0.0/8, nfacct, no --random-fully. */
export const FAKE_PROXIER: KubeProxyOptions = {
  nodeName: 'test-node',
  nodeIPs: ['192.168.0.2', '192.168.1.2', '192.168.99.11'],
  clusterCIDR: '10.0.0.0/8',
  randomFully: false,
  // kube-proxy's tests build Services without the API server: nothing is allocated.
  allocate: false,
  canaries: false,
  jumpRules: false,
};

interface Dump {
  tables: { name: string; chains: string[]; rules: Map<string, string[]> }[];
}

export function parseRestore(text: string): Dump {
  const dump: Dump = { tables: [] };
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) dump.tables.push({ name: line.slice(1), chains: [], rules: new Map() });
    const table = dump.tables[dump.tables.length - 1];
    if (line.startsWith(':')) {
      const chain = line.slice(1).split(' ')[0];
      table.chains.push(chain);
      table.rules.set(chain, []);
    } else if (line.startsWith('-A ')) {
      const chain = line.split(' ')[1];
      table.rules.get(chain)?.push(line);
    }
  }
  return dump;
}

const commentOf = (rule: string) =>
  /--comment (?:"([^"]*)"|(\S+))/
    .exec(rule)
    ?.slice(1)
    .find((x) => x !== undefined) ?? null;

/** orderByCommentServiceName: the comment up to the first space or colon; undefined without one. */
function byServiceName(a: string, b: string): number {
  const ca = commentOf(a);
  const cb = commentOf(b);
  if (ca === null || cb === null) return 0;
  const name = (c: string) => c.split(/[ :]/)[0];
  return name(ca) < name(cb) ? -1 : name(ca) > name(cb) ? 1 : 0;
}

/** sortIPTablesRules from proxier_test.go. */
export function sortIPTablesRules(text: string): string {
  const dump = parseRestore(text);
  dump.tables.sort((a, b) => (a.name < b.name ? -1 : 1));
  const rank = (c: string) => (c === 'KUBE-NODEPORTS' ? 0 : c === 'KUBE-SERVICES' ? 1 : c.startsWith('KUBE-') ? 2 : 3);
  const lines: string[] = [];
  for (const table of dump.tables) {
    table.chains.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
    for (const chain of ['KUBE-NODEPORTS', 'KUBE-SERVICES']) {
      const rules = table.rules.get(chain);
      if (!rules) continue;
      rules.sort((a, b) => {
        if (table.name === 'nat' && chain === 'KUBE-SERVICES') {
          const last = (r: string) => (commentOf(r) ?? '').includes('must be the last rule');
          if (last(a) !== last(b)) return last(a) ? 1 : -1;
        }
        return byServiceName(a, b);
      });
    }
    lines.push(`*${table.name}`, ...table.chains.map((c) => `:${c} - [0:0]`));
    for (const chain of table.chains) lines.push(...(table.rules.get(chain) ?? []));
    lines.push('COMMIT');
  }
  return `${lines.join('\n')}\n`;
}

/** assertIPTablesChainEqual: one chain of the restore buffer, exactly. */
export function chainRules(restore: string, table: string, chain: string): string[] {
  return (
    parseRestore(restore)
      .tables.find((t) => t.name === table)
      ?.rules.get(chain) ?? []
  );
}

/**
 * checkIPTablesRuleJumps: every jump goes to a declared, non-empty chain, and every declared
 * per-service chain is jumped to (the fixed chains are exempt).
 */
export function checkIPTablesRuleJumps(restore: string): string[] {
  const problems: string[] = [];
  const fixed = new Set([
    'KUBE-SERVICES',
    'KUBE-NODEPORTS',
    'KUBE-EXTERNAL-SERVICES',
    'KUBE-FORWARD',
    'KUBE-PROXY-FIREWALL',
    'KUBE-FIREWALL',
    'KUBE-POSTROUTING',
    'KUBE-MARK-MASQ',
    'KUBE-MARK-DROP',
  ]);
  for (const table of parseRestore(restore).tables) {
    const jumped = new Set<string>();
    for (const rules of table.rules.values()) {
      for (const rule of rules) {
        const target = / -j (KUBE-\S+)/.exec(rule)?.[1];
        if (target) jumped.add(target);
      }
    }
    for (const target of jumped) {
      if (!table.rules.has(target)) problems.push(`${table.name}: jump to undeclared ${target}`);
      else if (!fixed.has(target) && (table.rules.get(target) ?? []).length === 0)
        problems.push(`${table.name}: jump to empty ${target}`);
    }
    for (const chain of table.chains) {
      if (!fixed.has(chain) && !jumped.has(chain)) problems.push(`${table.name}: ${chain} created but not used`);
    }
  }
  return problems;
}
