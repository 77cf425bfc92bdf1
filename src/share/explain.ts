import { chainKind, servicePortName } from '../graph/chain-kind';
import type { Header, TraceEvent, TracePath } from '../model';

// A trace in plain words, for the step view and for Markdown: what a step did and why kube-proxy
// wrote it (pkg/proxy/iptables/proxier.go), where a path ended, and which header fields changed.

export function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function percent(p: number): string {
  return `${(Math.round(p * 10000) / 100).toString()}%`;
}

/** Where a path ends, in one line. */
export function outcome(path: TracePath): string {
  const f = path.final;
  const to = hostPort(f.dst, f.dport);
  switch (f.disposition) {
    case 'local':
      return `delivered to a process on this node, ${to}`;
    case 'out':
      return `sent to ${to} out of ${f.iface}${f.masqueraded ? `, source masqueraded to ${f.src}` : ', source kept'}`;
    case 'dropped':
      return f.verdict === 'ACCEPT' ? `accepted, then dropped by routing (${to})` : `dropped (${to})`;
    case 'rejected':
      return `rejected (${to})`;
    default:
      return `the walk stopped: ${path.error ?? 'error'}`;
  }
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
  if (v === 'CONTINUE') {
    if (e.after.mark !== e.before.mark)
      return e.chain === 'KUBE-POSTROUTING'
        ? `clears the masquerade bit (mark ${hex(e.before.mark)} → ${hex(e.after.mark)}) so a re-sent packet is not masqueraded twice`
        : `sets the mark: ${hex(e.before.mark)} → ${hex(e.after.mark)}`;
    return comment ? `matches (“${comment}”) and lets the packet go on` : 'acts and lets the packet go on';
  }
  const notes = e.notes ?? [];
  if (e.before.dst !== e.after.dst || e.before.dport !== e.after.dport)
    return `DNAT: the destination becomes ${hostPort(e.after.dst, e.after.dport)}${service ? `, an endpoint of ${service}` : ''}; conntrack rewrites the replies back`;
  if (e.before.src !== e.after.src || e.before.sport !== e.after.sport)
    return `MASQUERADE: the source becomes ${hostPort(e.after.src, e.after.sport)}, the outgoing interface's address, so replies come back through this node`;
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
