// Reading what `xtables-monitor --trace` (iptables-nft 1.8.9) prints.
//
// Per traced packet and base chain it prints a PACKET line (the header as the
// first event of that base chain saw it), then one TRACE line per event:
//
//   PACKET: 2 c559eb78 IN=eth0 MACSRC=… SRC=192.168.0.1 DST=192.168.0.2 LEN=60 … SPORT=40001 DPORT=80 SYN
//    TRACE: 2 c559eb78 nat:X:rule:0x7:ACCEPT  -4 -t nat -A X -p tcp -m tcp --dport 80 -j DNAT --to-destination …
//    TRACE: 2 c559eb78 nat:POSTROUTING:policy:ACCEPT
//
// `2` is the family (NFPROTO_IPV4; 10 for IPv6), the hex word the trace id.

export interface PacketLine {
  type: 'packet';
  family: number;
  id: string;
  /** KEY=VALUE pairs (IN, OUT, SRC, DST, SPORT, DPORT, MARK, …). */
  fields: Record<string, string>;
  /** Bare words (SYN, ACK, DF, LOOPBACK …). */
  flags: string[];
  raw: string;
}

export interface TraceLine {
  type: 'trace';
  family: number;
  id: string;
  table: string;
  chain: string;
  kind: 'rule' | 'return' | 'policy';
  /** nft rule handle (rule events; return events when printed). */
  handle: number | null;
  /** JUMP:X, GOTO:X, CONTINUE, ACCEPT, DROP, RETURN (numeric codes named, see VERDICT_CODES). */
  verdict: string;
  /** The verdict exactly as printed (`0xfffffffb` for RETURN). */
  rawVerdict: string;
  /** The rule as iptables prints it (`-4 -t nat -A X …`), or ''. */
  ruleText: string;
  raw: string;
}

export type MonitorLine = PacketLine | TraceLine;

/**
 * xtables-monitor 1.8.9 names only ACCEPT, DROP, CONTINUE, JUMP and GOTO; other
 * nft verdicts come out as the raw 32-bit code. `-j RETURN` prints
 * `rule:0x…:0xfffffffb` (NFT_RETURN = -5, include/uapi/linux/netfilter/nf_tables.h).
 */
export const VERDICT_CODES: Record<string, string> = {
  '0xffffffff': 'CONTINUE',
  '0xfffffffe': 'BREAK',
  '0xfffffffd': 'JUMP',
  '0xfffffffc': 'GOTO',
  '0xfffffffb': 'RETURN',
  '0x0': 'DROP',
  '0x1': 'ACCEPT',
};

const named = (v: string) => VERDICT_CODES[v] ?? v;

const HEAD = /^\s*(PACKET|TRACE): (\d+) ([0-9a-f]+) (.*)$/;

export function parseMonitorLine(line: string): MonitorLine | null {
  const m = HEAD.exec(line);
  if (!m) return null;
  const family = Number(m[2]);
  const id = m[3];
  const rest = m[4];
  if (m[1] === 'PACKET') {
    const fields: Record<string, string> = {};
    const flags: string[] = [];
    for (const word of rest.split(' ')) {
      if (!word) continue;
      const eq = word.indexOf('=');
      if (eq > 0) fields[word.slice(0, eq)] = word.slice(eq + 1);
      else flags.push(word);
    }
    // xtables-monitor prints MARK= only when the mark is set.
    fields.MARK ??= '0x0';
    return { type: 'packet', family, id, fields, flags, raw: line };
  }
  const sep = rest.indexOf('  ');
  const head = (sep >= 0 ? rest.slice(0, sep) : rest).trim();
  const ruleText = sep >= 0 ? rest.slice(sep + 2).trim() : '';
  const parts = head.split(':');
  if (parts.length < 3) return null;
  const [table, chain, kind] = parts;
  if (kind === 'rule') {
    return {
      type: 'trace',
      family,
      id,
      table,
      chain,
      kind,
      handle: Number.parseInt(parts[3], 16),
      verdict: named(parts.slice(4).join(':')),
      rawVerdict: parts.slice(4).join(':'),
      ruleText,
      raw: line,
    };
  }
  if (kind === 'policy') {
    const v = parts.slice(3).join(':');
    return {
      type: 'trace',
      family,
      id,
      table,
      chain,
      kind,
      handle: null,
      verdict: named(v),
      rawVerdict: v,
      ruleText,
      raw: line,
    };
  }
  if (kind === 'return') {
    const hasHandle = parts[3] !== undefined && /^0x[0-9a-f]+$/.test(parts[3]);
    const v = parts.slice(hasHandle ? 4 : 3).join(':');
    return {
      type: 'trace',
      family,
      id,
      table,
      chain,
      kind,
      handle: hasHandle ? Number.parseInt(parts[3], 16) : null,
      verdict: named(v) || 'RETURN',
      rawVerdict: v,
      ruleText,
      raw: line,
    };
  }
  return null;
}

/**
 * `nft -a monitor trace` lines: the same kernel trace events in nft's words.
 * Used for IPv6, where xtables-monitor 1.8.9 cannot print ip6tables rules that
 * match a protocol ("unsupported layer 4 protocol value", then it exits).
 *
 *   trace id a203d1be ip6 nat PREROUTING packet: iif "cni0" … ip6 saddr fd00:10:244::5 ip6 daddr fd00:96::1 … tcp sport 30001 tcp dport 443 …
 *   trace id a203d1be ip6 nat KUBE-SERVICES rule meta l4proto tcp … jump KUBE-SVC-X # handle 99 (verdict jump KUBE-SVC-X)
 *   trace id a203d1be ip6 nat POSTROUTING policy accept
 */
const NFT_HEAD =
  /^trace id ([0-9a-f]+) (ip6?|inet|bridge|arp|netdev) (\S+) (\S+) (packet|rule|policy|verdict|return)\b:? ?(.*)$/;
const NFT_FAMILY: Record<string, number> = { ip: 2, ip6: 10 };

function nftVerdict(v: string): string {
  const [word, target] = v.trim().split(/\s+/, 2);
  const upper = word.toUpperCase();
  return target && (upper === 'JUMP' || upper === 'GOTO') ? `${upper}:${target}` : upper;
}

export function parseNftTraceLine(line: string): MonitorLine | null {
  const m = NFT_HEAD.exec(line.trim());
  if (!m) return null;
  const [, id, fam, table, chain, what, rest] = m;
  const family = NFT_FAMILY[fam] ?? 0;
  if (what === 'packet') {
    const fields: Record<string, string> = {};
    const w = rest.split(/\s+/);
    for (let i = 0; i < w.length; i++) {
      const pair = `${w[i]} ${w[i + 1] ?? ''}`;
      const value = w[i + 2];
      if (w[i] === 'iif' || w[i] === 'oif') fields[w[i] === 'iif' ? 'IN' : 'OUT'] = (w[i + 1] ?? '').replace(/"/g, '');
      else if (pair === 'ip saddr' || pair === 'ip6 saddr') fields.SRC = value;
      else if (pair === 'ip daddr' || pair === 'ip6 daddr') fields.DST = value;
      else if (pair === 'tcp sport' || pair === 'udp sport') fields.SPORT = value;
      else if (pair === 'tcp dport' || pair === 'udp dport') fields.DPORT = value;
      // nft 1.0.6 does not print the packet mark here: MARK stays unknown.
      else if (pair === 'meta mark') fields.MARK = `0x${Number.parseInt(value, 16).toString(16)}`;
    }
    return { type: 'packet', family, id, fields, flags: [], raw: line };
  }
  if (what === 'rule') {
    const r = /^(.*?)\s*# handle (\d+) \(verdict (.+)\)\s*$/.exec(rest);
    if (!r) return null;
    return {
      type: 'trace',
      family,
      id,
      table,
      chain,
      kind: 'rule',
      handle: Number(r[2]),
      verdict: nftVerdict(r[3]),
      rawVerdict: r[3],
      ruleText: r[1].trim(),
      raw: line,
    };
  }
  if (what === 'policy') {
    return {
      type: 'trace',
      family,
      id,
      table,
      chain,
      kind: 'policy',
      handle: null,
      verdict: nftVerdict(rest),
      rawVerdict: rest.trim(),
      ruleText: '',
      raw: line,
    };
  }
  // `verdict …` / `return`: a chain ended without a rule verdict (nft prints what xtables-monitor does not).
  return {
    type: 'trace',
    family,
    id,
    table,
    chain,
    kind: 'return',
    handle: null,
    verdict: nftVerdict(rest || 'return'),
    rawVerdict: `${what} ${rest}`.trim(),
    ruleText: '',
    raw: line,
  };
}
