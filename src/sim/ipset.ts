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
  if (bitmap && dims[0] === 'port') return String(flags[0] === 'src' ? p.sport : p.dport);
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
): SetTest | null {
  const r = lookup(sets, name, flags, p, returnNomatch, 0);
  return r && { hit: r.hit, note: r.note };
}

/** testSet, and the entry that decided a hit (for SET --map-set's skbinfo). */
function lookup(
  sets: Record<string, IpsetState>,
  name: string,
  flags: ('src' | 'dst')[],
  p: SetPacket,
  returnNomatch: boolean,
  depth: number,
): (SetTest & { entry?: string }) | null {
  const set = sets[name];
  if (!set) return null;
  const [method, dimList = ''] = set.type.split(':');
  if (method === 'list') {
    if (depth > 0) return { hit: false, note: `${name}: a list:set cannot hold another list:set` };
    for (const entry of set.entries) {
      const member = entry.trim().split(/\s+/)[0];
      const r = lookup(sets, member, flags, p, returnNomatch, depth + 1);
      if (r?.hit) return { hit: true, note: `${r.note} (member of ${name})`, entry: r.entry };
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
  return { hit, note: `${el} ${hit ? '∈' : '∉'} ${name}${why}`, ...(hit ? { entry: matching[0] } : {}) };
}

/** The dimensions an element from the packet fills exactly: no net (its prefix comes from the set), no MAC, no interface. */
const EXACT_DIMS: ReadonlySet<string> = new Set(['ip', 'port', 'mark']);

/** Whether an entry's part is the element's (`10.0.0.1` and `10.0.0.1/32`, `80` and `tcp:80`, `0x42` and `0x00000042`). */
function samePart(dim: string, a: string, b: string, bitmap: boolean): boolean {
  if (dim === 'ip') {
    const x = parseCidr(a);
    const y = parseCidr(b);
    return x !== null && y !== null && x.prefix === y.prefix && x.family === y.family && x.addr === y.addr;
  }
  if (dim === 'port' && !bitmap) {
    const [pa, na] = a.includes(':') ? a.split(':') : ['tcp', a];
    const [pb, nb] = b.includes(':') ? b.split(':') : ['tcp', b];
    return pa === pb && Number(na) === Number(nb);
  }
  return Number(a) === Number(b);
}

export interface SetChange {
  /** The sets after the change (the same object when nothing changed). */
  sets: Record<string, IpsetState>;
  /** What happened, for the step's notes (`192.168.0.30 added to CW-SEEN`). */
  note: string;
  /** Set when the walk cannot know what the kernel did: later -m set see the set as it was. */
  assumed?: string;
}

/**
 * SET --add-set / --del-set from the packet, as ip_set_add / ip_set_del (ip_set_core.c) and the
 * types' kadt do it: nothing when the rule gives fewer flags than the set has dimensions or the
 * families differ; otherwise the element made of the packet's fields, which later `-m set` in the
 * same walk see (the kernel changes the set before the next rule). Modelled for the types whose
 * element the packet fills exactly (hash:ip, hash:ip,port, hash:ip,port,ip, hash:ip,mark,
 * bitmap:ip, bitmap:port); a net dimension takes its prefix from the set's own entries
 * (IP_SET_INIT_CIDR), a list:set adds to the first member that takes it: those, and sets not
 * supplied, are left as they are, saying so. The sets are never changed in place.
 */
export function changeSet(
  sets: Record<string, IpsetState>,
  op: 'add' | 'del',
  name: string,
  flags: ('src' | 'dst')[],
  p: SetPacket,
  timeout?: number,
): SetChange {
  const verb = op === 'add' ? 'add to' : 'delete from';
  const set = sets[name];
  if (!set) return { sets, note: '', assumed: `ipset ${name} was not supplied: the ${op} is not modelled` };
  const [method, dimList = ''] = set.type.split(':');
  const dims = dimList.split(',');
  if (method === 'list' || !dims.every((d) => EXACT_DIMS.has(d)) || (method !== 'hash' && method !== 'bitmap'))
    return {
      sets,
      note: '',
      assumed: `SET cannot ${verb} a ${set.type} set in the walk: later -m set ${name} see it as given`,
    };
  if (flags.length < dims.length)
    return {
      sets,
      note: `${name} (${set.type}) has ${dims.length} dimensions but the rule gives ${flags.length} flag${flags.length === 1 ? '' : 's'}: the kernel does not ${op} (ip_set_${op})`,
    };
  const bitmap = method === 'bitmap';
  const setFamily = bitmap ? null : (set.family ?? 4);
  if (setFamily !== null && setFamily !== p.family)
    return { sets, note: `${name} is an IPv${setFamily} set: the kernel does not ${op} an IPv${p.family} packet` };
  if (dims.includes('port') && !PORT_PROTOS.has(p.proto))
    return {
      sets,
      note: '',
      assumed: `SET: the port the kernel takes for an ${PROTO_NAMES[p.proto] ?? p.proto} packet (ICMP type and code) is not modelled: ${name} is left as given`,
    };
  const el = element(dims, flags.slice(0, dims.length), p, bitmap);
  const parts = el.split(',');
  const same = (entry: string) => {
    const words = entry.trim().split(/\s+/)[0].split(',');
    return words.length === parts.length && parts.every((part, i) => samePart(dims[i], words[i], part, bitmap));
  };
  const present = set.entries.some(same);
  const changed = (entries: string[]) => ({ ...sets, [name]: { ...set, entries } });
  const range = bitmap ? ` (the walk takes the set's range to hold it)` : '';
  if (op === 'add') {
    if (present) return { sets, note: `${el} is already in ${name}` };
    const entry = timeout === undefined ? el : `${el} timeout ${timeout}`;
    return { sets: changed([...set.entries, entry]), note: `${el} added to ${name}${range}` };
  }
  if (!present) return { sets, note: `${el} is not in ${name}: nothing to delete` };
  return { sets: changed(set.entries.filter((e) => !same(e))), note: `${el} deleted from ${name}` };
}

/**
 * SET --map-set (xt_set.c set_target_v3): on a hit, the deciding entry's `skbmark V[/M]` becomes
 * the packet's mark as (mark & ~M) ^ V; an entry without one leaves it (skbinfo 0/0).
 */
export function mapSetMark(
  sets: Record<string, IpsetState>,
  name: string,
  flags: ('src' | 'dst')[],
  p: SetPacket,
): { mark: number; note: string } | null {
  const r = lookup(sets, name, flags, p, false, 0);
  if (!r) return null;
  if (!r.hit || r.entry === undefined) return { mark: p.mark, note: `${r.note}: no mark to map` };
  const words = r.entry.split(/\s+/);
  const k = words.indexOf('skbmark');
  if (k < 0) return { mark: p.mark, note: `${r.note}; the entry has no skbmark: the mark stays` };
  const [v, m] = (words[k + 1] ?? '0').split('/');
  const value = Number(v) >>> 0;
  const mask = m === undefined ? 0xffffffff : Number(m) >>> 0;
  return { mark: ((p.mark & ~mask) ^ value) >>> 0, note: `${r.note}: skbmark ${words[k + 1]} maps the mark` };
}
