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
