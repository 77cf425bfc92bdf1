import { IPVS_SCHED_FLAG, type IpvsRealServer, type IpvsVirtualService } from '../model';
import { type IpValue, parseIp } from '../parse';

// Which real server IPVS's scheduler picks for a new connection (net/netfilter/ipvs/ip_vs_*.c).
// Stateless hashes (sh, dh, mh) are computed exactly from the packet; schedulers that depend on
// live state (rr's position, connection counts) become a split with exact shares.
//
// Real servers are taken in the paste's order. The kernel walks svc->destinations, where
// __ip_vs_update_dest adds each new one at the head (list_add_rcu): newest first. ipvsadm sorts
// them by address for display unless --nosort, so for sh/dh/mh the paste's order is an assumption.

export interface Pick {
  server: IpvsRealServer;
  /** Share of new connections (sums to 1 over the picks). */
  probability: number;
}

export interface Schedule {
  /** Empty: no destination available (ip_vs_scheduler_err; the caller runs ip_vs_leave). */
  picks: Pick[];
  /** Real servers the scheduler could pick from (weight > 0 …). */
  candidates: number;
  notes: string[];
}

export interface SchedPacket {
  srcIp: IpValue;
  dstIp: IpValue;
  sport: number;
  proto: number;
}

/** is_unavailable() in ip_vs_sh.c / ip_vs_mh.c: weight ≤ 0 (overload is live state, taken as no). */
function available(rs: IpvsRealServer): boolean {
  return rs.weight !== 0;
}

/** Weight for shares: a weight the paste does not give (-1, ipvsadm -L --stats) counts as 1. */
function weightOf(rs: IpvsRealServer): number {
  return rs.weight < 0 ? 1 : rs.weight;
}

/** hash_32(val, bits) from include/linux/hash.h: val * GOLDEN_RATIO_32 >> (32 - bits). */
export function hash32(value: number, bits: number): number {
  return Math.imul(value >>> 0, 0x61c88647) >>> (32 - bits);
}

/** The address folded to 32 bits as ip_vs_sh/dh/mh_hashkey do: ntohl(ip), or the XOR of the four IPv6 words. */
export function foldAddress(ip: IpValue): number {
  if (ip.family === 4) return ip.value >>> 0;
  const v = ip.value;
  return Number(((v >> 96n) ^ (v >> 64n) ^ (v >> 32n) ^ v) & 0xffffffffn) >>> 0;
}

const SH_TAB_BITS = 8;
const SH_TAB_SIZE = 1 << SH_TAB_BITS;

/** ip_vs_sh_reassign: 256 buckets, each server `weight` consecutive buckets in list order (weight 0 still takes 1). */
export function shTable(servers: IpvsRealServer[]): (IpvsRealServer | null)[] {
  const table: (IpvsRealServer | null)[] = new Array(SH_TAB_SIZE).fill(null);
  if (servers.length === 0) return table;
  let p = 0;
  let count = 0;
  for (let i = 0; i < SH_TAB_SIZE; i++) {
    const rs = servers[p];
    table[i] = rs;
    if (++count >= weightOf(rs)) {
      p = (p + 1) % servers.length;
      count = 0;
    }
  }
  return table;
}

/** ip_vs_sh_hashkey: (offset + hash_32(port + fold(addr), 8)) & 255. */
export function shHash(ip: IpValue, port: number, offset: number): number {
  return (offset + hash32((port + foldAddress(ip)) >>> 0, SH_TAB_BITS)) & (SH_TAB_SIZE - 1);
}

/** ip_vs_sh_schedule (with ip_vs_sh_get / ip_vs_sh_get_fallback). */
export function shPick(svc: IpvsVirtualService, p: SchedPacket): IpvsRealServer | null {
  const table = shTable(svc.realServers);
  const port = svc.schedFlags & IPVS_SCHED_FLAG.FLAG2 && hasPorts(p.proto) ? p.sport : 0;
  const ihash = shHash(p.srcIp, port, 0);
  const first = table[ihash];
  if (!first) return null;
  if (available(first)) return first;
  if (!(svc.schedFlags & IPVS_SCHED_FLAG.FLAG1)) return null;
  for (let offset = 0; offset < SH_TAB_SIZE; offset++) {
    const dest = table[shHash(p.srcIp, port, (offset + ihash) % SH_TAB_SIZE)];
    if (!dest) break;
    if (available(dest)) return dest;
  }
  return null;
}

/** ip_vs_dh: 256 buckets filled round-robin (weights ignored), keyed by hash_32(fold(daddr), 8). */
export function dhPick(svc: IpvsVirtualService, p: SchedPacket): IpvsRealServer | null {
  const n = svc.realServers.length;
  if (n === 0) return null;
  const dest = svc.realServers[hash32(foldAddress(p.dstIp), SH_TAB_BITS) % n];
  return dest.weight !== 0 ? dest : null;
}

// ---- mh: Maglev hashing (ip_vs_mh.c) ----

const MH_TAB_SIZE = 4093; // primes[CONFIG_IP_VS_MH_TAB_INDEX - 8] with the default index 12
const MH_TAB_BITS = 6; // CONFIG_IP_VS_MH_TAB_INDEX / 2
const MH_HASH1 = 2654435761n;
const MH_HASH2 = 2654446892n;
const M64 = (1n << 64n) - 1n;

function rotl(x: bigint, b: bigint): bigint {
  return ((x << b) | (x >> (64n - b))) & M64;
}

/**
 * hsiphash(&v, 4, key) on a 64-bit kernel: SipHash-1-3 over the 4-byte little-endian value with
 * the 64-bit key words k0 = k1 = key (lib/siphash.c HPREAMBLE/HPOSTAMBLE), low 32 bits.
 */
export function hsiphash32(value: number, key: bigint): number {
  let v0 = 0x736f6d6570736575n ^ key;
  let v1 = 0x646f72616e646f6dn ^ key;
  let v2 = 0x6c7967656e657261n ^ key;
  let v3 = 0x7465646279746573n ^ key;
  const b = (4n << 56n) | BigInt(value >>> 0);
  const round = () => {
    v0 = (v0 + v1) & M64;
    v1 = rotl(v1, 13n);
    v1 ^= v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M64;
    v3 = rotl(v3, 16n);
    v3 ^= v2;
    v0 = (v0 + v3) & M64;
    v3 = rotl(v3, 21n);
    v3 ^= v0;
    v2 = (v2 + v1) & M64;
    v1 = rotl(v1, 17n);
    v1 ^= v2;
    v2 = rotl(v2, 32n);
  };
  v3 ^= b;
  round();
  v0 ^= b;
  v2 ^= 0xffn;
  round();
  round();
  round();
  return Number((v0 ^ v1 ^ v2 ^ v3) & 0xffffffffn) >>> 0;
}

/** ip_vs_mh_hashkey: hsiphash(offset + port + fold(addr)). */
export function mhHash(ip: IpValue, port: number, key: bigint, offset: number): number {
  return hsiphash32((offset + port + foldAddress(ip)) >>> 0, key);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function fls(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

/**
 * The weight mh builds its table from: last_weight, the last non-zero weight. A weight-0 server
 * (kube-proxy's graceful termination) keeps its slots; its earlier weight is taken as 1.
 */
function lastWeight(rs: IpvsRealServer): number {
  return rs.weight > 0 ? rs.weight : 1;
}

/** ip_vs_mh_permutate + ip_vs_mh_populate: the 4093-slot lookup table (indexes into servers, -1 empty). */
export function mhTable(servers: IpvsRealServer[]): Int32Array {
  const table = new Int32Array(MH_TAB_SIZE).fill(-1);
  let g = 0;
  let maxw = 0;
  for (const rs of servers) {
    const w = lastWeight(rs);
    g = g > 0 ? gcd(w, g) : w;
    maxw = Math.max(maxw, w);
  }
  if (g < 1) return table;
  const rshift = Math.max(0, fls(Math.floor(maxw / g)) - MH_TAB_BITS);
  const setup = servers.map((rs, i) => {
    const ip = parseIp(rs.address) as IpValue;
    const offset = mhHash(ip, rs.port, MH_HASH1, 0) % MH_TAB_SIZE;
    const skip = (mhHash(ip, rs.port, MH_HASH2, 0) % (MH_TAB_SIZE - 1)) + 1;
    const lw = lastWeight(rs);
    return { i, perm: offset, skip, turns: Math.floor(lw / g) >> rshift || (lw !== 0 ? 1 : 0) };
  });
  let n = 0;
  let dtCount = 0;
  let p = 0;
  while (n < MH_TAB_SIZE) {
    if (p === setup.length) p = 0;
    while (p < setup.length) {
      const ds = setup[p];
      if (ds.turns < 1) {
        p++;
        continue;
      }
      while (table[ds.perm] >= 0) {
        ds.perm += ds.skip;
        if (ds.perm >= MH_TAB_SIZE) ds.perm -= MH_TAB_SIZE;
      }
      table[ds.perm] = ds.i;
      if (++n === MH_TAB_SIZE) return table;
      if (++dtCount >= ds.turns) {
        dtCount = 0;
        p++;
      }
    }
  }
  return table;
}

/** ip_vs_mh_schedule (ip_vs_mh_get / ip_vs_mh_get_fallback), keyed by the source address (and port with mh-port). */
export function mhPick(svc: IpvsVirtualService, p: SchedPacket): IpvsRealServer | null {
  const servers = svc.realServers;
  if (servers.length === 0) return null;
  const table = mhTable(servers);
  const port = svc.schedFlags & IPVS_SCHED_FLAG.FLAG2 && hasPorts(p.proto) ? p.sport : 0;
  const ihash = mhHash(p.srcIp, port, MH_HASH1, 0) % MH_TAB_SIZE;
  const at = (k: number) => (table[k] >= 0 ? servers[table[k]] : null);
  const first = at(ihash);
  if (!first) return null;
  if (available(first)) return first;
  if (!(svc.schedFlags & IPVS_SCHED_FLAG.FLAG1)) return null;
  for (let offset = 0; offset < MH_TAB_SIZE; offset++) {
    const dest = at(mhHash(p.srcIp, port, MH_HASH1, (offset + ihash) % MH_TAB_SIZE) % MH_TAB_SIZE);
    if (!dest) break;
    if (available(dest)) return dest;
  }
  return null;
}

function hasPorts(proto: number): boolean {
  return proto === 6 || proto === 17 || proto === 132;
}

/** Schedulers whose choice depends on live connection counts or their own position. */
const STATEFUL: Record<string, string> = {
  rr: 'rr takes the next real server after the last one it chose (ip_vs_rr.c)',
  lc: 'lc takes the real server with the fewest connections (ip_vs_lc.c)',
  wlc: 'wlc takes the fewest connections per weight (ip_vs_wlc.c)',
  sed: 'sed takes the shortest expected delay, (active + 1) / weight (ip_vs_sed.c)',
  nq: 'nq takes an idle real server, else as sed (ip_vs_nq.c)',
  lblc: 'lblc keeps a destination per address while it is not overloaded (ip_vs_lblc.c)',
  lblcr: 'lblcr keeps a set of servers per destination address (ip_vs_lblcr.c)',
  ovf: 'ovf takes the highest weight that is not over its connection limit (ip_vs_ovf.c)',
  twos: 'twos picks two at random by weight and takes the less loaded (ip_vs_twos.c)',
};

/** The real servers a new connection to `svc` may go to, with their shares. */
export function schedule(svc: IpvsVirtualService, p: SchedPacket): Schedule {
  const servers = svc.realServers;
  const usable = servers.filter((rs) => rs.weight !== 0);
  const notes: string[] = [];
  const one = (rs: IpvsRealServer | null, how: string): Schedule => {
    if (rs) notes.push(how);
    return { picks: rs ? [{ server: rs, probability: 1 }] : [], candidates: usable.length, notes };
  };
  const share = (list: IpvsRealServer[], weighted: boolean): Schedule => {
    const total = list.reduce((n, rs) => n + (weighted ? weightOf(rs) : 1), 0);
    return {
      picks: list.map((rs) => ({ server: rs, probability: (weighted ? weightOf(rs) : 1) / total })),
      candidates: usable.length,
      notes,
    };
  };
  if (servers.some((rs) => rs.weight < 0))
    notes.push('the paste gives no weights (ipvsadm -L --stats/--rate): each real server is taken as weight 1');
  const order =
    'the kernel hashes over its destination list, newest first; ipvsadm sorts it for display unless --nosort, so the paste order is assumed';
  switch (svc.scheduler) {
    case 'sh': {
      notes.push(order);
      const rs = shPick(svc, p);
      return one(
        rs,
        `sh: bucket ${shHash(p.srcIp, svc.schedFlags & IPVS_SCHED_FLAG.FLAG2 ? p.sport : 0, 0)} of 256 by source${svc.schedFlags & IPVS_SCHED_FLAG.FLAG2 ? ' address and port' : ' address'} (ip_vs_sh.c)`,
      );
    }
    case 'dh': {
      notes.push(order);
      return one(
        dhPick(svc, p),
        `dh: bucket ${hash32(foldAddress(p.dstIp), 8)} of 256 by destination address (ip_vs_dh.c)`,
      );
    }
    case 'mh': {
      notes.push(order);
      if (servers.some((rs) => rs.weight === 0))
        notes.push('mh: a weight-0 real server keeps the slots of its last non-zero weight (last_weight), taken as 1');
      return one(
        mhPick(svc, p),
        `mh: Maglev table of ${MH_TAB_SIZE} slots by source${svc.schedFlags & IPVS_SCHED_FLAG.FLAG2 ? ' address and port' : ' address'} (ip_vs_mh.c)`,
      );
    }
    case 'fo': {
      // ip_vs_fo.c: the available server with the highest weight; the first in list order on a tie.
      let best: IpvsRealServer | null = null;
      for (const rs of usable) if (!best || weightOf(rs) > weightOf(best)) best = rs;
      return one(best, 'fo: the real server with the highest weight (ip_vs_fo.c)');
    }
    case 'wrr':
      // ip_vs_wrr.c: over a full cycle each server gets exactly `weight` of every Σweight connections.
      notes.push('wrr: over a full cycle each real server takes its weight’s share of new connections (ip_vs_wrr.c)');
      return share(usable, true);
    default: {
      const why = STATEFUL[svc.scheduler];
      notes.push(
        why
          ? `${why}: it depends on live state, so each real server with weight > 0 is taken as equally likely`
          : `scheduler '${svc.scheduler || 'unknown'}' is not modelled: each real server with weight > 0 is taken as equally likely`,
      );
      return share(usable, false);
    }
  }
}
