import { chainKind, servicePortName } from '../graph/chain-kind';
import type { FinalPacket, Header, IpvsEvent, TraceEvent, TracePath } from '../model';
import { hostPort, readTarget } from '../parse';
import { explainTarget } from './explain-target';

// A trace in plain words, for the step view and for Markdown: what a step did and why kube-proxy
// wrote it (pkg/proxy/iptables/proxier.go), where a path ended, and which header fields changed.
// What each target does is explain-target.ts's job.

export { hostPort };

export function percent(p: number): string {
  return `${(Math.round(p * 10000) / 100).toString()}%`;
}

/** What happened to the source, by the target that changed it: `masqueraded`, `SNAT'd`; null when it was kept. */
export function sourceNatWord(f: FinalPacket): string | null {
  if (!f.masqueraded) return null;
  switch (f.sourceNat) {
    case 'MASQUERADE':
      return 'masqueraded';
    case 'SNAT':
      return "SNAT'd";
    case 'NETMAP':
      return 'mapped by NETMAP';
    default:
      return 'rewritten';
  }
}

/** Where a path ends, in one line. */
export function outcome(path: TracePath): string {
  const f = path.final;
  const to = hostPort(f.dst, f.dport);
  const source = f.masqueraded ? `, ${sourceTo(f)}` : '';
  switch (f.disposition) {
    case 'local':
      return `delivered to a process on this node, ${to}${source}`;
    case 'out':
      return `sent to ${to} out of ${f.iface}${source || ', source kept'}`;
    case 'dropped':
      return f.verdict === 'ACCEPT' ? `accepted, then dropped by routing (${to})` : `dropped (${to})`;
    case 'rejected':
      return `rejected (${to})`;
    default:
      return `the walk stopped: ${path.error ?? 'error'}`;
  }
}

/** The source SNAT, MASQUERADE or NETMAP left: under --random-fully the port is the kernel's random pick. */
function sourceTo(f: FinalPacket): string {
  const said = `source ${sourceNatWord(f) ?? 'kept'} to ${f.src}`;
  const r = f.sportRandom;
  return r ? `${said}, port picked at random by the kernel (${r.lo}-${r.hi})` : said;
}

const COMMENT = /--comment (?:"((?:[^"\\]|\\.)*)"|(\S+))/;

/** A rule's kube-proxy comment, unquoted. */
export function ruleComment(ruleText: string | undefined): string | undefined {
  const m = ruleText ? COMMENT.exec(ruleText) : null;
  return m ? (m[1] ?? m[2]).replace(/\\(.)/g, '$1') : undefined;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** Why kube-proxy sends packets into a chain, by the chain's kind. */
function intoChain(to: string, service: string | undefined, ruleText: string | undefined): string {
  const svc = service ? ` ${service}` : '';
  if (to === 'KUBE-SERVICES')
    return "enters KUBE-SERVICES, kube-proxy's list of every Service's cluster, external and load-balancer IPs";
  if (to === 'KUBE-NODEPORTS')
    return 'the destination is an address of this node: go to KUBE-NODEPORTS, which holds every NodePort';
  if (to === 'KUBE-POSTROUTING')
    return 'enters KUBE-POSTROUTING, where kube-proxy masquerades the connections it marked';
  if (to === 'KUBE-MARK-MASQ')
    return 'jumps to KUBE-MARK-MASQ, which sets mark 0x4000 so KUBE-POSTROUTING will masquerade this connection';
  if (to === 'KUBE-MARK-DROP')
    return 'jumps to KUBE-MARK-DROP, which sets mark 0x8000 so KUBE-FIREWALL drops the packet';
  if (to === 'KUBE-PROXY-FIREWALL' || to === 'KUBE-FIREWALL')
    return `enters ${to}, which drops traffic a load balancer's source ranges do not allow`;
  if (to === 'KUBE-EXTERNAL-SERVICES')
    return 'enters KUBE-EXTERNAL-SERVICES: NodePorts and external IPs without local endpoints are dropped there';
  if (to === 'KUBE-FORWARD') return 'enters KUBE-FORWARD, which lets forwarded Service traffic through';
  switch (chainKind(to, false)) {
    case 'SVC':
      return `matches Service${svc}: go to its chain ${to}, which picks an endpoint`;
    case 'SEP': {
      const stat = /--probability (\S+)/.exec(ruleText ?? '');
      const endpoint = / -> (\S+)/.exec(ruleComment(ruleText) ?? '')?.[1];
      const pick = endpoint ? `endpoint ${endpoint}` : `endpoint chain ${to}`;
      return stat
        ? `picks ${pick} at random (probability ${Number(stat[1]).toFixed(3)} among the endpoints left)`
        : `picks ${pick}${service ? ` of${svc}` : ''}`;
    }
    case 'EXT':
      return `traffic to${svc} from outside the cluster's pods: go to ${to}, which decides whether to masquerade`;
    case 'FW':
      return `load balancer IP of${svc}: go to ${to}, which checks the source ranges`;
    case 'SVL':
      return `externalTrafficPolicy Local: go to ${to}, which picks only endpoints on this node`;
    case 'XLB':
      return `externalTrafficPolicy Local (before kube-proxy 1.25): go to ${to}, endpoints on this node only`;
    default:
      return `jumps to ${to}`;
  }
}

/** One step of a path in plain words: what the rule did, and why kube-proxy wrote it. */
export function explainStep(e: TraceEvent, ruleText?: string): string {
  if (e.kind === 'policy') return `no rule in ${e.table} ${e.chain} decided: the chain's policy ${e.verdict} applies`;
  if (e.implicit) return `end of ${e.chain}: back to the chain that jumped here`;
  const comment = ruleComment(ruleText);
  const service = servicePortName(comment);
  const v = e.verdict;
  if (v.startsWith('JUMP:')) return intoChain(v.slice(5), service, ruleText);
  if (v.startsWith('GOTO:')) return `${intoChain(v.slice(5), service, ruleText)} (goto: it will not come back here)`;
  if (v === 'RETURN') {
    if (e.chain === 'KUBE-POSTROUTING') return 'the connection is not marked 0x4000: return, its source is left alone';
    return `returns to the chain that jumped to ${e.chain}`;
  }
  if (ruleText !== undefined) {
    const target = readTarget(ruleText);
    if (target === null && v === 'CONTINUE')
      return `${comment ? `matches (“${comment}”) but has` : 'has'} no target: the rule only counts the packet; the walk goes on to the next rule`;
    const said = target && explainTarget(e, target, { comment, service });
    if (said) return said;
  }
  // Without the rule's text: what the header shows.
  if (v === 'CONTINUE') {
    if (e.after.mark !== e.before.mark) return `changes the mark: ${hex(e.before.mark)} → ${hex(e.after.mark)}`;
    return comment ? `matches (“${comment}”) and lets the packet go on` : 'acts and lets the packet go on';
  }
  const notes = e.notes ?? [];
  if (e.before.dst !== e.after.dst || e.before.dport !== e.after.dport)
    return `the destination becomes ${hostPort(e.after.dst, e.after.dport)}${service ? `, an endpoint of ${service}` : ''}; conntrack rewrites the replies back`;
  if (e.before.src !== e.after.src || e.before.sport !== e.after.sport)
    return `the source becomes ${hostPort(e.after.src, e.after.sport)}; conntrack rewrites the replies back`;
  if (v === 'DROP' || v === 'REJECT') {
    const why = comment ? ` (“${comment}”)` : '';
    const reject = v === 'REJECT' || / -j REJECT\b/.test(ruleText ?? '');
    return `${reject ? 'rejects the packet (the client gets an ICMP error)' : 'drops the packet silently'}${why}`;
  }
  if (v === 'ACCEPT') return `accepts the packet: ${e.table} ${e.chain} stops here${comment ? ` (“${comment}”)` : ''}`;
  return `${v}${notes.length ? ` — ${notes.join('; ')}` : ''}`;
}

export type HeaderField = 'src' | 'sport' | 'dst' | 'dport' | 'mark' | 'ctmark';

/** The header fields a step changed. */
export function changedFields(before: Header, after: Header): HeaderField[] {
  return (['src', 'sport', 'dst', 'dport', 'mark', 'ctmark'] as const).filter((f) => before[f] !== after[f]);
}

/** What kube-proxy's IPVS proxier puts in each ipset, and why (pkg/proxy/ipvs/proxier.go, ipset.go). */
export const IPSET_EXPLANATIONS: Record<string, string> = {
  'KUBE-CLUSTER-IP':
    'every Service’s cluster IP and port: packets to them are IPVS’s to schedule (and masqueraded when they come from outside the cluster CIDR)',
  'KUBE-LOOP-BACK':
    'each endpoint as ip,port,ip with itself as source: a pod that reaches itself through its Service (hairpin) is masqueraded so the reply comes back through IPVS',
  'KUBE-EXTERNAL-IP': 'Services’ external IPs and ports: traffic to them is masqueraded and handed to IPVS',
  'KUBE-EXTERNAL-IP-LOCAL':
    'external IPs of Services with externalTrafficPolicy Local: not masqueraded, so the pod sees the client’s address',
  'KUBE-LOAD-BALANCER':
    'every load-balancer IP and port: traffic to them goes to KUBE-LOAD-BALANCER, which masquerades unless the Service is Local',
  'KUBE-LOAD-BALANCER-LOCAL':
    'load-balancer IPs of Services with externalTrafficPolicy Local: not masqueraded, the client’s address is kept',
  'KUBE-LOAD-BALANCER-FW':
    'load-balancer IPs with loadBalancerSourceRanges: their traffic must pass KUBE-SOURCE-RANGES-FIREWALL',
  'KUBE-LOAD-BALANCER-SOURCE-CIDR':
    'load-balancer IP, port and each allowed source range: a packet from an allowed range returns from the firewall, others are dropped',
  'KUBE-LOAD-BALANCER-SOURCE-IP':
    'load-balancer IP, port and an allowed source address (the node’s own, or a single-address source range)',
  'KUBE-NODE-PORT-TCP':
    'every TCP NodePort: traffic to a node address on one of these ports is masqueraded and scheduled by IPVS',
  'KUBE-NODE-PORT-LOCAL-TCP':
    'TCP NodePorts of Services with externalTrafficPolicy Local: not masqueraded, so the pod sees the client’s address',
  'KUBE-NODE-PORT-UDP': 'every UDP NodePort: traffic to them is masqueraded and scheduled by IPVS',
  'KUBE-NODE-PORT-LOCAL-UDP': 'UDP NodePorts of Services with externalTrafficPolicy Local: not masqueraded',
  'KUBE-NODE-PORT-SCTP-HASH': 'every SCTP NodePort, as node IP,port (SCTP cannot use a bitmap:port set)',
  'KUBE-NODE-PORT-LOCAL-SCTP-HASH': 'SCTP NodePorts of Services with externalTrafficPolicy Local',
  'KUBE-HEALTH-CHECK-NODE-PORT':
    'health check node ports of Local load balancers: accepted so the cloud load balancer can probe the node',
  'KUBE-IPVS-IPS':
    'every address bound to kube-ipvs0: a new connection to one of them that no Service port matched is rejected',
};

/** The kube-proxy ipsets a rule reads, each with what kube-proxy puts in it. */
export function ipsetsOf(ruleText: string | undefined): { name: string; why: string }[] {
  if (!ruleText) return [];
  const out: { name: string; why: string }[] = [];
  for (const m of ruleText.matchAll(/--match-set (\S+)/g)) {
    const base = m[1].replace(/^KUBE-6-/, 'KUBE-');
    const why = IPSET_EXPLANATIONS[base];
    if (why && !out.some((x) => x.name === m[1])) out.push({ name: m[1], why });
  }
  return out;
}

/** An IPVS step in plain words. */
export function explainIpvs(e: IpvsEvent): string {
  switch (e.action) {
    case 'schedule':
      return `IPVS: a new connection to virtual service ${e.service ?? ''}; the ${e.scheduler ?? ''} scheduler picks one of ${e.candidates ?? 0} real servers`;
    case 'forward':
      return `IPVS sends it to real server ${e.realServer ?? ''}${e.forward === 'masq' ? ' (masquerading: the destination is rewritten, as kube-proxy configures it)' : ''}`;
    case 'no-service':
      return 'IPVS: no virtual service for this address and port, so the packet is delivered to the address on the node';
    case 'not-scheduled':
      return `IPVS: virtual service ${e.service ?? ''} matched, but this packet does not start a connection, so IPVS leaves it`;
    case 'no-destination':
      return `IPVS: virtual service ${e.service ?? ''} has no real server to send to: the client gets ICMP port unreachable and the packet is dropped`;
  }
}
