// The rules kube-proxy writes, as kube-proxy writes them (iptables-restore input, its own argument
// order), and how iptables-save prints them back. pkg/proxy/iptables/proxier.go writes the first;
// /work/shared/notes/iptables-save-format.md §2–§4 describes the second.

export type KubeTable = 'mangle' | 'filter' | 'nat';

/** One `-A CHAIN …` line as argv: the comment value is one element, unquoted. */
export interface KubeRule {
  chain: string;
  args: string[];
}

/** A table as one restore buffer: chains in declaration order, rules in write order. */
export interface TableRules {
  chains: string[];
  rules: KubeRule[];
}

export type KubeRuleset = Record<KubeTable, TableRules>;

export function emptyRuleset(): KubeRuleset {
  return { mangle: { chains: [], rules: [] }, filter: { chains: [], rules: [] }, nat: { chains: [], rules: [] } };
}

/** Quotes a token as kube-proxy's restore buffer does: only when it holds a space. */
function restoreToken(token: string): string {
  return /[\s"]/.test(token) || token === '' ? `"${token.replace(/(["\\])/g, '\\$1')}"` : token;
}

/** The restore buffer kube-proxy would hand `iptables-restore --noflush` for these tables. */
export function toRestoreText(ruleset: KubeRuleset, tables: readonly KubeTable[] = ['filter', 'nat']): string {
  const lines: string[] = [];
  for (const table of tables) {
    const { chains, rules } = ruleset[table];
    lines.push(`*${table}`);
    for (const chain of chains) lines.push(`:${chain} - [0:0]`);
    for (const rule of rules) lines.push(['-A', rule.chain, ...rule.args.map(restoreToken)].join(' '));
    lines.push('COMMIT');
  }
  return `${lines.join('\n')}\n`;
}

/** xtables_save_string (libxtables/xtables.c): bare only for non-empty [A-Za-z0-9_-]. */
export function saveString(value: string): string {
  return /^[A-Za-z0-9_-]+$/.test(value) ? value : `"${value.replace(/(["\\'])/g, '\\$1')}"`;
}

/** `-s 10.0.0.1` → `10.0.0.1/32`; `fd00::1` → `fd00::1/128`. */
function withPrefix(address: string): string {
  if (address.includes('/')) return address;
  return address.includes(':') ? `${address}/128` : `${address}/32`;
}

/** xt_statistic keeps round(p·2^31); iptables-save prints it back with %.11f. */
export function savedProbability(text: string): string {
  return (Math.round(Number(text) * 0x80000000) / 0x80000000).toFixed(11);
}

interface Section {
  negate: boolean;
  option: string;
  values: string[];
}

interface Parsed {
  generic: Map<string, { negate: boolean; value: string }>;
  matches: { module: string; options: Section[] }[];
  target: { name: string; options: Section[] } | null;
}

const GENERIC = ['-s', '-d', '-i', '-o', '-p'] as const;

function parseArgs(args: readonly string[]): Parsed {
  const parsed: Parsed = { generic: new Map(), matches: [], target: null };
  let negate = false;
  let current: Section[] | null = null;
  for (let i = 0; i < args.length; i++) {
    const token = args[i];
    if (token === '!') {
      negate = true;
      continue;
    }
    if ((GENERIC as readonly string[]).includes(token)) {
      parsed.generic.set(token, { negate, value: args[++i] });
    } else if (token === '-m') {
      const match = { module: args[++i], options: [] as Section[] };
      parsed.matches.push(match);
      current = match.options;
    } else if (token === '-j') {
      parsed.target = { name: args[++i], options: [] };
      current = parsed.target.options;
    } else if (token.startsWith('--') && current) {
      const section: Section = { negate, option: token, values: [] };
      while (i + 1 < args.length && !args[i + 1].startsWith('-') && args[i + 1] !== '!') section.values.push(args[++i]);
      // A comment may start with '-'; every option kube-proxy writes takes at most one value.
      if (section.values.length === 0 && optionTakesValue(token) && i + 1 < args.length) section.values.push(args[++i]);
      current.push(section);
    } else {
      throw new Error(`kube rule argument not understood: ${token} in ${args.join(' ')}`);
    }
    negate = false;
  }
  return parsed;
}

const FLAG_OPTIONS = new Set([
  '--rcheck',
  '--set',
  '--reap',
  '--rsource',
  '--random-fully',
  '--random',
  '--physdev-is-in',
]);
const optionTakesValue = (option: string) => !FLAG_OPTIONS.has(option);

function renderSections(sections: readonly Section[], quote: (option: string, value: string) => string): string {
  return sections
    .map((s) => `${s.negate ? '! ' : ''}${s.option}${s.values.map((v) => ` ${quote(s.option, v)}`).join('')}`)
    .join(' ');
}

const QUOTED_OPTIONS = new Set(['--comment', '--nfacct-name']);

function saveMatch(module: string, options: Section[], family: 4 | 6): string {
  let sections = options;
  if (module === 'recent') {
    // libxt_recent prints mode, --seconds, --reap, then --name, --mask and --rsource defaults.
    const get = (o: string) => options.find((s) => s.option === o);
    const mode = options.filter((s) => ['--set', '--rcheck', '--update', '--remove'].includes(s.option));
    const name = get('--name')?.values[0] ?? 'DEFAULT';
    sections = [
      ...mode,
      ...options.filter((s) => s.option === '--seconds' || s.option === '--reap'),
      { negate: false, option: '--name', values: [name] },
      // libxt_recent prints the default mask of the family: all ones.
      {
        negate: false,
        option: '--mask',
        values: [family === 4 ? '255.255.255.255' : 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
      },
      { negate: false, option: '--rsource', values: [] },
    ];
  } else if (module === 'ipvs') {
    // libxt_ipvs.c ipvs_mt_dump: --vproto as a number, then --vaddr with its mask, then --vport.
    const get = (o: string) => options.find((s) => s.option === o);
    const numbers: Record<string, string> = { tcp: '6', udp: '17', sctp: '132' };
    const order = ['--vproto', '--vaddr', '--vport'];
    sections = [
      ...order.flatMap((o) => {
        const s = get(o);
        if (!s) return [];
        if (o === '--vproto') return [{ ...s, values: [numbers[s.values[0]] ?? s.values[0]] }];
        if (o === '--vaddr') return [{ ...s, values: [withPrefix(s.values[0])] }];
        return [s];
      }),
      ...options.filter((s) => !order.includes(s.option)),
    ];
  } else if (module === 'statistic') {
    sections = options.map((s) =>
      s.option === '--probability' ? { ...s, values: [savedProbability(s.values[0])] } : s,
    );
  }
  const body = renderSections(sections, (option, value) => {
    if (!QUOTED_OPTIONS.has(option)) return value;
    // nfacct's save prints two spaces before its name (libxt_nfacct.c).
    return option === '--nfacct-name' ? ` ${saveString(value)}` : saveString(value);
  });
  return body ? `-m ${module} ${body}` : `-m ${module}`;
}

function saveTarget(name: string, options: Section[], family: 4 | 6): string {
  if (name === 'MARK') {
    const [op] = options;
    const value = op?.values[0] ?? '0x0';
    if (op?.option === '--or-mark') return `-j MARK --set-xmark ${value}/${value}`;
    if (op?.option === '--xor-mark') return `-j MARK --set-xmark ${value}/0x0`;
  }
  if (name === 'REJECT' && !options.some((s) => s.option === '--reject-with')) {
    return `-j REJECT --reject-with ${family === 4 ? 'icmp-port-unreachable' : 'icmp6-port-unreachable'}`;
  }
  const body = renderSections(options, (_o, v) => v);
  return body ? `-j ${name} ${body}` : `-j ${name}`;
}

/** One rule as iptables-save prints it: `-s -d -i -o -p` first, then matches in order, then the target. */
export function toSaveLine(rule: KubeRule, family: 4 | 6 = 4): string {
  const parsed = parseArgs(rule.args);
  const parts = ['-A', rule.chain];
  for (const flag of GENERIC) {
    const entry = parsed.generic.get(flag);
    if (!entry) continue;
    const value = flag === '-s' || flag === '-d' ? withPrefix(entry.value) : entry.value;
    // iptables-save leaves out an address that matches everything.
    if (!entry.negate && (value === '0.0.0.0/0' || value === '::/0')) continue;
    parts.push(`${entry.negate ? '! ' : ''}${flag} ${value}`);
  }
  for (const match of parsed.matches) parts.push(saveMatch(match.module, match.options, family));
  if (parsed.target) parts.push(saveTarget(parsed.target.name, parsed.target.options, family));
  return parts.join(' ');
}

const BUILTIN: Record<KubeTable, readonly string[]> = {
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
};

/** Bytewise (strcmp) order, as libiptc and nft sort user chains. */
export const bytewise = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The tables as iptables-nft-save prints them (table order mangle, filter, nat): built-in chains
 * with policy ACCEPT first, user chains sorted bytewise, rules chain by chain in write order.
 */
export function toSaveText(
  ruleset: KubeRuleset,
  family: 4 | 6 = 4,
  // The parser takes the family from "# Generated by ip6tables-save…", as from a real dump;
  // without it an ip6tables table with no address in it (mangle) would read as IPv4.
  header = family === 6
    ? '# Generated by ip6tables-save format (chainwalk, from Kubernetes objects)'
    : '# Generated by chainwalk from Kubernetes objects',
): string {
  const lines: string[] = [];
  for (const table of ['mangle', 'filter', 'nat'] as const) {
    const { chains, rules } = ruleset[table];
    if (chains.length === 0 && rules.length === 0) continue;
    lines.push(header, `*${table}`);
    const builtins = BUILTIN[table];
    const users = [...new Set(chains.filter((c) => !builtins.includes(c)))].sort(bytewise);
    for (const chain of builtins) lines.push(`:${chain} ACCEPT [0:0]`);
    for (const chain of users) lines.push(`:${chain} - [0:0]`);
    const byChain = new Map<string, KubeRule[]>();
    for (const rule of rules) {
      const list = byChain.get(rule.chain);
      if (list) list.push(rule);
      else byChain.set(rule.chain, [rule]);
    }
    for (const chain of [...builtins, ...users]) {
      for (const rule of byChain.get(chain) ?? []) lines.push(toSaveLine(rule, family));
    }
    lines.push('COMMIT');
  }
  return `${lines.join('\n')}\n`;
}
