import type { IpsetState, IpvsState, Packet, Ruleset } from '../model';
import { findChain, findTable, formatIp, getRule } from '../parse';

// Packets worth tracing, read from the dump's own kube-proxy rules: each Service's cluster IP
// and port, each NodePort on the node's IP, each LoadBalancer and external IP.

export interface PacketPreset {
  /** What a person picks from, e.g. `default/web:http cluster IP 10.96.12.34:80`. */
  label: string;
  packet: Packet;
}

const MAX_PRESETS = 500;

/** Presets in the order kube-proxy wrote the rules; `nodeIP` is where NodePorts are tried. */
export function packetPresets(ruleset: Ruleset, nodeIP: string): PacketPreset[] {
  const out: PacketPreset[] = [];
  const seen = new Set<string>();
  const add = (label: string, packet: Packet) => {
    const key = `${packet.origin}|${packet.proto}|${packet.dst}|${packet.dport}`;
    if (seen.has(key) || out.length >= MAX_PRESETS) return;
    seen.add(key);
    out.push({ label, packet });
  };
  for (const family of [4, 6] as const) {
    const nat = findTable(ruleset, family, 'nat');
    if (!nat) continue;
    const client = family === 4 ? '192.0.2.10' : '2001:db8::10';
    for (const name of ['KUBE-SERVICES', 'KUBE-NODEPORTS']) {
      const chain = findChain(nat, name);
      if (!chain) continue;
      for (const id of chain.rules) {
        if (out.length >= MAX_PRESETS) return out;
        const rule = getRule(ruleset, id);
        const comment = rule.comment ?? '';
        const port = rule.matches.find((m) => (m.kind === 'tcp' || m.kind === 'udp' || m.kind === 'sctp') && m.dport);
        if (!port || (port.kind !== 'tcp' && port.kind !== 'udp' && port.kind !== 'sctp') || !port.dport) continue;
        const dport = port.dport.lo;
        const proto = port.kind;
        const service = comment.split(' ')[0];
        if (name === 'KUBE-NODEPORTS') {
          if (/health check/.test(comment) || rule.src) continue;
          add(`${service} NodePort ${nodeIP}:${dport}/${proto} from outside`, {
            origin: 'external',
            proto,
            src: client,
            sport: 40000,
            dst: nodeIP,
            dport,
          });
          continue;
        }
        if (!rule.dst || rule.dst.invert) continue;
        const dst = formatIp(
          rule.dst.cidr.family === 4
            ? { family: 4, value: rule.dst.cidr.addr }
            : { family: 6, value: rule.dst.cidr.addr },
        );
        const kind = / cluster IP$/.test(comment)
          ? 'cluster IP'
          : / loadbalancer IP$/.test(comment)
            ? 'LoadBalancer IP'
            : / external IP$/.test(comment)
              ? 'external IP'
              : null;
        if (!kind) continue;
        const podSource = family === 4 ? '10.244.0.5' : 'fd00:10:244::5';
        add(`${service} ${kind} ${dst}:${dport}/${proto}${kind === 'cluster IP' ? ' from a pod' : ' from outside'}`, {
          origin: kind === 'cluster IP' ? 'pod' : 'external',
          proto,
          src: kind === 'cluster IP' ? podSource : client,
          sport: 40000,
          dst,
          dport,
        });
      }
    }
  }
  return out;
}

/** Which kind of address a virtual service is, from the ipsets kube-proxy's IPVS proxier fills. */
const IPVS_KINDS: readonly [string, string][] = [
  ['KUBE-CLUSTER-IP', 'cluster IP'],
  ['KUBE-LOAD-BALANCER', 'LoadBalancer IP'],
  ['KUBE-EXTERNAL-IP', 'external IP'],
  ['KUBE-EXTERNAL-IP-LOCAL', 'external IP'],
];

/**
 * Presets of an IPVS-mode node, where the rules name no Service: one per virtual service, its
 * kind read from kube-proxy's ipsets (a node IP with a NodePort is a NodePort).
 */
export function ipvsPresets(
  ipvs: IpvsState,
  ipsets: Record<string, IpsetState>,
  nodeIPs: readonly string[],
): PacketPreset[] {
  const out: PacketPreset[] = [];
  const nodes = new Set(nodeIPs.map((ip) => ip.split('/')[0]));
  for (const svc of ipvs.services) {
    if (out.length >= MAX_PRESETS) break;
    if (svc.protocol === 'fwmark' || svc.address === '' || svc.port === 0) continue;
    const proto = svc.protocol;
    const six = svc.address.includes(':');
    const entry = `${svc.address},${proto}:${svc.port}`;
    const kind = nodes.has(svc.address)
      ? 'NodePort'
      : (IPVS_KINDS.find(([set]) =>
          (ipsets[six ? `KUBE-6-${set.slice(5)}` : set]?.entries ?? []).includes(entry),
        )?.[1] ?? 'virtual service');
    const fromPod = kind === 'cluster IP' || kind === 'virtual service';
    const servers = svc.realServers.length;
    out.push({
      label: `${kind} ${svc.address}:${svc.port}/${proto} ${fromPod ? 'from a pod' : 'from outside'} (IPVS ${svc.scheduler || '?'}, ${servers} real server${servers === 1 ? '' : 's'})`,
      packet: {
        origin: fromPod ? 'pod' : 'external',
        proto,
        src: fromPod ? (six ? 'fd00:10:244::5' : '10.244.0.5') : six ? '2001:db8::10' : '192.0.2.10',
        sport: 40000,
        dst: svc.address,
        dport: svc.port,
      },
    });
  }
  return out;
}
