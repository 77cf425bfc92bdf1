import type { Family, IpsetState } from '../model';
import { cidrContains, formatIp, type IpValue, parseCidr } from '../parse';

// `-m set --match-set NAME f1[,f2,f3]` as the kernel tests it:
// - ip_set_test (net/netfilter/ipset/ip_set_core.c): no match when the rule gives fewer flags than
//   the set has dimensions, or when the set's family is not the rule's (bitmap:port and list:set
//   are NFPROTO_UNSPEC); extra flags are ignored. --return-nomatch inverts a hit (plain or
//   nomatch) for types with IPSET_TYPE_NOMATCH.
// - Flag i picks the packet side (src/dst) for dimension i (IPSET_DIM_*_SRC bits, xt_set.c).
// - hash:*,port: port AND protocol from the packet (ip_set_get_ip4_port, ip_set_getport.c);
//   protocols without ports test port 0. bitmap:port matches only TCP and UDP
//   (ip_set_bitmap_port.c ip_set_get_ip_port).
// - Types with a net dimension try the prefixes present most specific first (mtype_test_cidrs,
//   ip_set_hash_gen.h); the first entry found decides, and a `nomatch` entry means no match.
// - list:set tests its member sets in order with the same flags; the first that matches wins
//   (ip_set_list_set.c list_set_ktest).
// Entries are as `ipset save` prints them; those listed are present (an expired timeout entry is
// not listed), so `timeout N` does not change the answer.
// Seen on the kernel here (6.18, iptables-nft 1.8.9, OUTPUT rules in a netns): hash:ip,port with
// `dst` never matched and with `dst,dst,src` matched; bitmap:port matched UDP, not SCTP; hash:net's
// /16 nomatch hole inside a /8 did not match, and neither did hash:ip,port,net's; list:set matched as
// its member. iptables refuses a rule naming a set of the other family, so a dump never has one.

export interface SetPacket {
  family: Family;
  proto: number;
  srcIp: IpValue;
  dstIp: IpValue;
  sport: number;
  dport: number;
  mark: number;
  inIface: string;
  outIface: string;
}

export interface SetTest {
  /** The set's answer before the rule's `!`: true when the packet's element is in it. */
  hit: boolean;
  /** What was tested: `10.96.0.10,tcp:80 ∈ KUBE-CLUSTER-IP` / `∉`, and why when the kernel does not look. */
  note: string;
}

const PROTO_NAMES: Record<number, string> = {
  6: 'tcp',
  17: 'udp',
  132: 'sctp',
  136: 'udplite',
  1: 'icmp',
  58: 'icmpv6',
};
const PORT_PROTOS = new Set([6, 17, 132, 136]);

/** Types whose entries may carry `nomatch` (IPSET_TYPE_NOMATCH): those with a net dimension. */
function hasNet(dims: string[]): boolean {
  return dims.includes('net');
}

/** A part of an entry against the packet's value for that dimension. */
function partMatches(dim: string, part: string, bitmap: boolean, p: SetPacket, side: 'src' | 'dst'): boolean {
  switch (dim) {
    case 'ip':
    case 'net': {
      const c = parseCidr(part);
      return c !== null && cidrContains(c, side === 'src' ? p.srcIp : p.dstIp);
    }
    case 'port': {
      const port = side === 'src' ? p.sport : p.dport;
      if (bitmap) {
        if (p.proto !== 6 && p.proto !== 17) return false;
        const [lo, hi] = part.split('-').map(Number);
        return port >= lo && port <= (hi ?? lo);
      }
      // hash types: `tcp:80`, `udp:53`, `80` (tcp, as ipset reads a bare port), `sctp:30080`.
      const k = part.indexOf(':');
      const proto = k < 0 ? 'tcp' : part.slice(0, k);
      const range = (k < 0 ? part : part.slice(k + 1)).split('-').map(Number);
      if (PROTO_NAMES[p.proto] !== proto && !(proto === 'icmpv6' && p.proto === 58)) return false;
      const value = PORT_PROTOS.has(p.proto) ? port : 0;
      return value >= range[0] && value <= (range[1] ?? range[0]);
    }
    case 'mark':
      return Number(part.split('/')[0]) === p.mark;
    case 'iface':
      return part.replace(/^physdev:/, '') === (side === 'src' ? p.inIface : p.outIface);
    case 'mac':
      return false;
    default:
      return false;
  }
}

function element(dims: string[], flags: ('src' | 'dst')[], p: SetPacket, bitmap: boolean): string {
  if (bitmap) return String(flags[0] === 'src' ? p.sport : p.dport);
  return dims
    .map((dim, i) => {
      const side = flags[i];
      if (dim === 'ip' || dim === 'net') return formatIp(side === 'src' ? p.srcIp : p.dstIp);
      if (dim === 'port') {
        const port = PORT_PROTOS.has(p.proto) ? (side === 'src' ? p.sport : p.dport) : 0;
        return `${PROTO_NAMES[p.proto] ?? p.proto}:${port}`;
      }
      if (dim === 'mark') return `0x${p.mark.toString(16)}`;
      if (dim === 'iface') return side === 'src' ? p.inIface : p.outIface;
      return dim;
    })
    .join(',');
}

/** The prefix length of an entry's net part (32/128 when it has none). */
function prefixOf(entry: string, dims: string[], family: Family): number {
  const k = dims.indexOf('net');
  const part = entry.split(/\s+/)[0].split(',')[k] ?? '';
  const slash = part.indexOf('/');
  return slash < 0 ? (family === 4 ? 32 : 128) : Number(part.slice(slash + 1));
}

/**
 * Tests the packet against `sets[name]`; null when the set was not supplied.
 * `returnNomatch`: the rule's --return-nomatch.
 */
export function testSet(
  sets: Record<string, IpsetState>,
  name: string,
  flags: ('src' | 'dst')[],
  p: SetPacket,
  returnNomatch = false,
  depth = 0,
): SetTest | null {
  const set = sets[name];
  if (!set) return null;
  const [method, dimList = ''] = set.type.split(':');
  if (method === 'list') {
    if (depth > 0) return { hit: false, note: `${name}: a list:set cannot hold another list:set` };
    for (const entry of set.entries) {
      const member = entry.trim().split(/\s+/)[0];
      const r = testSet(sets, member, flags, p, returnNomatch, depth + 1);
      if (r?.hit) return { hit: true, note: `${r.note} (member of ${name})` };
    }
    return { hit: false, note: `no member set of ${name} holds the packet` };
  }
  const dims = dimList.split(',');
  if (flags.length < dims.length)
    return {
      hit: false,
      note: `${name} (${set.type}) has ${dims.length} dimensions but the rule gives ${flags.length} flag${flags.length === 1 ? '' : 's'}: the kernel never matches (ip_set_test)`,
    };
  const bitmap = method === 'bitmap';
  const setFamily = bitmap ? null : (set.family ?? 4);
  if (setFamily !== null && setFamily !== p.family)
    return { hit: false, note: `${name} is an IPv${setFamily} set: an IPv${p.family} packet never matches it` };
  const el = element(dims, flags, p, bitmap);
  const matching: string[] = [];
  for (const entry of set.entries) {
    const words = entry.trim().split(/\s+/);
    const parts = words[0].split(',');
    if (parts.length < dims.length) continue;
    let all = true;
    for (let i = 0; all && i < dims.length; i++) all = partMatches(dims[i], parts[i], bitmap, p, flags[i]);
    if (all) matching.push(entry.trim());
  }
  let hit = matching.length > 0;
  let why = '';
  if (hit && hasNet(dims)) {
    // The most specific prefix decides (mtype_test_cidrs); a nomatch entry there means no match.
    const family = p.family;
    matching.sort((a, b) => prefixOf(b, dims, family) - prefixOf(a, dims, family));
    const decider = matching[0];
    if (/\snomatch(\s|$)/.test(decider)) {
      hit = false;
      why = ` (the most specific entry, ${decider.split(/\s+/)[0]}, is nomatch)`;
      if (returnNomatch)
        return {
          hit: true,
          note: `${el} hits nomatch entry ${decider.split(/\s+/)[0]} of ${name}: --return-nomatch makes it a match`,
        };
    } else if (returnNomatch)
      return { hit: false, note: `${el} ∈ ${name}: --return-nomatch makes a plain hit a non-match` };
  }
  return { hit, note: `${el} ${hit ? '∈' : '∉'} ${name}${why}` };
}
