import type { Family, IfaceMatch, IpsetState, Match, NodeContext, PortRange, Rule } from '../model';
import { cidrContains, type IpValue, parseIp } from '../parse';
import { ADDRTYPES, CT_STATES } from '../parse/vocabulary';
import { type AddrType, addrType, localIface, type Routing } from './context';
import { testSet } from './ipset';

// Whether one rule matches the packet in its current state, match by match
// as the kernel evaluates them (first failing match stops the rule).

/** The packet and its connection as the rules see them at this point of the walk. */
export interface PacketView {
  family: Family;
  proto: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  srcIp: IpValue;
  dstIp: IpValue;
  inIface: string;
  outIface: string;
  mark: number;
  ctmark: number;
  /** Conntrack state bits (parse/vocabulary CT_STATES), SNAT/DNAT included. */
  ctstate: number;
  /** IPS_CONFIRMED etc. as CT_STATUS bits. */
  ctstatus: number;
  orig: { src: string; sport: number; dst: string; dport: number };
  icmpType: number;
  icmpCode: number;
  /** Locally generated (has a socket). */
  local: boolean;
  uid: number;
  gid: number;
  srcMac?: string;
  /** IP total length of this packet. */
  length: number;
  recent: Map<string, Set<string>>;
  /** The ipsets as this packet finds them: the caller's, with what SET targets earlier in the walk added or deleted. */
  ipsets: Record<string, IpsetState>;
  /** skb->ipvs_property and, when IPVS scheduled the packet, its connection (for `-m ipvs`). */
  ipvsProperty: boolean;
  ipvsConn: { vaddr: IpValue; vport: number; method: 'GATE' | 'IPIP' | 'MASQ' } | null;
}

export interface MatchEnv {
  routing: Routing;
  ctx: NodeContext;
  /** Records an assumption (unknown module, state not supplied…). */
  assume(what: string): void;
  /** Records a fact about the rule being tested (`10.96.0.10,tcp:80 ∈ KUBE-CLUSTER-IP`), shown if it matches. */
  note?(what: string): void;
}

/** What the statistic match at a split asks the walker to decide. */
export interface SplitRequest {
  /** Probability that the statistic match matches. */
  probability: number;
  note?: string;
}

const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_SCTP = 132;
const PROTO_ICMP = 1;
const PROTO_ICMP6 = 58;
/** A Linux SYN carries MSS, SACK-permitted, timestamps and window scale (and NOPs). */
const SYN_OPTIONS = new Set([1, 2, 3, 4, 8]);

const ADDRTYPE_BIT: Record<AddrType, number> = {
  LOCAL: ADDRTYPES.LOCAL,
  UNICAST: ADDRTYPES.UNICAST,
  BROADCAST: ADDRTYPES.BROADCAST,
  MULTICAST: ADDRTYPES.MULTICAST,
};

export function ifaceMatches(m: IfaceMatch, name: string): boolean {
  const hit = m.wildcard ? name.startsWith(m.name) && name !== '' : name === m.name;
  return hit !== m.invert;
}

function inRange(r: PortRange, v: number): boolean {
  return v >= r.lo && v <= r.hi;
}

function hasPorts(proto: number): boolean {
  return proto === PROTO_TCP || proto === PROTO_UDP || proto === PROTO_SCTP || proto === 136 || proto === 33;
}

function ipCompare(a: IpValue, b: IpValue): number {
  if (a.family === 4 && b.family === 4) return a.value - b.value;
  const x = BigInt(a.value);
  const y = BigInt(b.value);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The generic part of a rule (-s -d -i -o -p -f). */
export function headerMatches(rule: Rule, p: PacketView): boolean {
  if (rule.src && cidrContains(rule.src.cidr, p.srcIp) === rule.src.invert) return false;
  if (rule.dst && cidrContains(rule.dst.cidr, p.dstIp) === rule.dst.invert) return false;
  if (rule.inIface && !ifaceMatches(rule.inIface, p.inIface)) return false;
  if (rule.outIface && !ifaceMatches(rule.outIface, p.outIface)) return false;
  if (rule.proto && rule.proto.proto !== 0 && (rule.proto.proto === p.proto) === rule.proto.invert) return false;
  // The first packet of a connection is never a fragment: `-f` fails, `! -f` holds.
  if (rule.fragment && !rule.fragment.invert) return false;
  return true;
}

function recentKey(m: Extract<Match, { kind: 'recent' }>, p: PacketView): string {
  const ip = m.side === 'source' ? p.srcIp : p.dstIp;
  const mask = parseIp(m.mask);
  if (ip.family === 4 && mask && mask.family === 4) {
    const v = (ip.value & mask.value) >>> 0;
    return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  return m.side === 'source' ? p.src : p.dst;
}

/**
 * Evaluates one module match. `split` is given when the walker has already
 * decided a statistic result for this rule; otherwise a random statistic
 * returns a SplitRequest so the walk can fork.
 */
export function matchOne(m: Match, p: PacketView, env: MatchEnv, decided: boolean | undefined): boolean | SplitRequest {
  switch (m.kind) {
    case 'tcp':
    case 'udp':
    case 'sctp':
    case 'udplite':
    case 'dccp': {
      if (!hasPorts(p.proto)) return false;
      if (m.sport && inRange(m.sport, p.sport) === m.sport.invert) return false;
      if (m.dport && inRange(m.dport, p.dport) === m.dport.invert) return false;
      if (m.tcpFlags) {
        // chainwalk traces a connection's first packet: a bare SYN.
        const flags = 2;
        if (((flags & m.tcpFlags.mask) === m.tcpFlags.comp) === m.tcpFlags.invert) return false;
      }
      if (m.tcpOption && SYN_OPTIONS.has(m.tcpOption.option) === m.tcpOption.invert) return false;
      if (m.extra) env.assume(`sctp ${m.extra} is not modelled: taken as matching`);
      return true;
    }
    case 'icmp': {
      if (p.proto !== (m.family === 4 ? PROTO_ICMP : PROTO_ICMP6)) return false;
      const hit = m.type === 'any' || (m.type === p.icmpType && (m.code === undefined || m.code === p.icmpCode));
      return hit !== m.invert;
    }
    case 'multiport': {
      if (!hasPorts(p.proto)) return false;
      let hit = false;
      for (const r of m.ports) {
        if ((m.dir !== 'src' && inRange(r, p.dport)) || (m.dir !== 'dst' && inRange(r, p.sport))) {
          hit = true;
          break;
        }
      }
      return hit !== m.invert;
    }
    case 'comment':
      return true;
    case 'addrtype': {
      if (m.limitIfaceIn || m.limitIfaceOut) {
        const iface = m.limitIfaceIn ? p.inIface : p.outIface;
        const type = (addr: string): number => {
          const t = addrType(env.routing, addr);
          // With --limit-iface-*, a local address only counts on the interface it is assigned to.
          if (t === 'LOCAL' && localIface(env.routing, addr) !== iface) return ADDRTYPES.UNICAST;
          return ADDRTYPE_BIT[t];
        };
        env.assume('addrtype --limit-iface-* is modelled as "the address is assigned to that interface"');
        if (m.src && ((type(p.src) & m.src.bits) !== 0) === m.src.invert) return false;
        if (m.dst && ((type(p.dst) & m.dst.bits) !== 0) === m.dst.invert) return false;
        return true;
      }
      if (m.src && ((ADDRTYPE_BIT[addrType(env.routing, p.src)] & m.src.bits) !== 0) === m.src.invert) return false;
      if (m.dst && ((ADDRTYPE_BIT[addrType(env.routing, p.dst)] & m.dst.bits) !== 0) === m.dst.invert) return false;
      return true;
    }
    case 'statistic': {
      const probability = m.mode === 'random' ? m.probability : 1 / Math.max(1, m.every);
      const pMatch = m.invert ? 1 - probability : probability;
      if (pMatch <= 0) return false;
      if (pMatch >= 1) return true;
      if (decided !== undefined) return decided;
      return {
        probability: pMatch,
        note:
          m.mode === 'nth'
            ? `statistic --mode nth --every ${m.every}: the packet counter is unknown, so each turn is taken with probability 1/${m.every}`
            : undefined,
      };
    }
    case 'mark':
      return ((p.mark & m.mask) >>> 0 === m.value) !== m.invert;
    case 'connmark':
      return ((p.ctmark & m.mask) >>> 0 === m.value) !== m.invert;
    case 'conntrack': {
      if (m.ctstate && ((p.ctstate & m.ctstate.bits) !== 0) === m.ctstate.invert) return false;
      const untracked = (p.ctstate & CT_STATES.UNTRACKED) !== 0;
      // Every other conntrack option needs a tracked connection (xt_conntrack.c: no ct, no match).
      const others =
        m.ctstatus ||
        m.ctproto ||
        m.ctorigsrc ||
        m.ctorigdst ||
        m.ctreplsrc ||
        m.ctrepldst ||
        m.ctorigsrcport ||
        m.ctorigdstport ||
        m.ctreplsrcport ||
        m.ctrepldstport ||
        m.ctdir ||
        m.unmodelled;
      if (!others) return true;
      if (untracked) return false;
      if (m.ctstatus && ((p.ctstatus & m.ctstatus.bits) !== 0) === m.ctstatus.invert) return false;
      if (m.ctproto && (m.ctproto.proto === p.proto) === m.ctproto.invert) return false;
      const origSrc = parseIp(p.orig.src) as IpValue;
      const origDst = parseIp(p.orig.dst) as IpValue;
      if (m.ctorigsrc && cidrContains(m.ctorigsrc.cidr, origSrc) === m.ctorigsrc.invert) return false;
      if (m.ctorigdst && cidrContains(m.ctorigdst.cidr, origDst) === m.ctorigdst.invert) return false;
      // The reply tuple: from where the packet now goes (after DNAT) back to its current source.
      if (m.ctreplsrc && cidrContains(m.ctreplsrc.cidr, p.dstIp) === m.ctreplsrc.invert) return false;
      if (m.ctrepldst && cidrContains(m.ctrepldst.cidr, p.srcIp) === m.ctrepldst.invert) return false;
      if (m.ctorigsrcport && inRange(m.ctorigsrcport, p.orig.sport) === m.ctorigsrcport.invert) return false;
      if (m.ctorigdstport && inRange(m.ctorigdstport, p.orig.dport) === m.ctorigdstport.invert) return false;
      if (m.ctreplsrcport && inRange(m.ctreplsrcport, p.dport) === m.ctreplsrcport.invert) return false;
      if (m.ctrepldstport && inRange(m.ctrepldstport, p.sport) === m.ctrepldstport.invert) return false;
      if (m.ctdir && m.ctdir !== 'ORIGINAL') return false;
      if (m.unmodelled) env.assume(`conntrack ${m.unmodelled} is not modelled: taken as matching`);
      return true;
    }
    case 'state': {
      // xt_state has no SNAT/DNAT virtual states.
      const bits = p.ctstate & ~(CT_STATES.SNAT | CT_STATES.DNAT);
      return ((bits & m.states.bits) !== 0) !== m.states.invert;
    }
    case 'recent': {
      const key = recentKey(m, p);
      let list = p.recent.get(m.name);
      if (!list) {
        list = new Set(env.ctx.recent[m.name] ?? []);
        p.recent.set(m.name, list);
      }
      // xt_recent.c: ret starts as the inversion flag and flips when the entry is found (or set).
      if (m.mode === 'set') {
        list.add(key);
        return !m.invert;
      }
      if (!list.has(key)) return m.invert;
      if (m.mode === 'remove') list.delete(key);
      if (m.hitcount !== undefined && m.hitcount > 1) {
        env.assume(`recent --hitcount ${m.hitcount}: a supplied entry counts as one hit`);
        return m.invert;
      }
      return !m.invert;
    }
    case 'set': {
      if (m.counters) env.assume(`set counter conditions (${m.counters}) are not modelled: ignored`);
      const r = testSet(p.ipsets, m.name, m.flags, p, m.returnNomatch);
      if (!r) {
        env.assume(`ipset ${m.name} was not supplied: taken as empty`);
        return m.invert;
      }
      env.note?.(r.note);
      return r.hit !== m.invert;
    }
    case 'ipvs': {
      // xt_ipvs.c ipvs_mt: `--ipvs` alone tests ipvs_property; any other option needs it and the
      // IPVS connection (conn_out_get), then compares protocol, virtual address and port, method.
      const only = m.property && !m.vproto && !m.vaddr && !m.vport && !m.vportctl && !m.vdir && !m.vmethod;
      if (only) return p.ipvsProperty !== (m.property?.invert ?? false);
      if (!p.ipvsProperty) return false;
      if (m.vproto && (p.proto === m.vproto.proto) === m.vproto.invert) return false;
      const conn = p.ipvsConn;
      if (!conn) return false;
      if (m.vport && (conn.vport === m.vport.port) === m.vport.invert) return false;
      if (m.vportctl && !m.vportctl.invert) return false; // no FTP control connection is modelled
      if (m.vdir === 'REPLY') return false; // a connection's first packet is ORIGINAL
      if (m.vmethod && (conn.method === m.vmethod.method) === m.vmethod.invert) return false;
      if (m.vaddr && cidrContains(m.vaddr.cidr, conn.vaddr) === m.vaddr.invert) return false;
      return true;
    }
    case 'physdev': {
      // xt_physdev.c without bridge info (br_netfilter off): match only if every given option is inverted.
      const opts = [m.in, m.out, m.isIn, m.isOut, m.isBridged];
      env.assume('physdev: bridged traffic is not modelled (as with br_netfilter off)');
      return opts.every((o) => o === undefined || o.invert);
    }
    case 'mac': {
      if (p.local) return m.invert;
      if (!p.srcMac) {
        env.assume('mac --mac-source: the packet has no known source MAC, taken as not matching');
        return false;
      }
      return (p.srcMac.toLowerCase() === m.mac) !== m.invert;
    }
    case 'iprange': {
      for (const [r, ip] of [
        [m.src, p.srcIp],
        [m.dst, p.dstIp],
      ] as const) {
        if (!r) continue;
        const from = { family: r.from.family, value: r.from.addr } as IpValue;
        const to = { family: r.to.family, value: r.to.addr } as IpValue;
        const hit = ip.family === from.family && ipCompare(ip, from) >= 0 && ipCompare(ip, to) <= 0;
        if (hit === r.invert) return false;
      }
      return true;
    }
    case 'owner': {
      const opts = [m.uid, m.gid, m.socketExists];
      if (!p.local) return opts.every((o) => o === undefined || o.invert);
      if (m.uid && inRange(m.uid, p.uid) === m.uid.invert) return false;
      if (m.gid && inRange(m.gid, p.gid) === m.gid.invert) return false;
      if (m.socketExists?.invert) return false;
      return true;
    }
    case 'pkttype': {
      const t = addrType(env.routing, p.dst);
      const type = t === 'BROADCAST' ? 'broadcast' : t === 'MULTICAST' ? 'multicast' : 'unicast';
      return (type === m.type || (m.type === 'host' && type === 'unicast')) !== m.invert;
    }
    case 'limit':
      env.assume(`limit ${m.rate}: the first packet is within the rate`);
      return true;
    case 'length':
      env.assume(`length: the packet is taken as ${p.length} bytes`);
      return inRange(m.range, p.length) !== m.invert;
    case 'fixed':
      return m.matches;
    case 'unknown':
      env.assume(`match '${m.module}' is not modelled: taken as not matching (${m.text})`);
      return false;
  }
}
