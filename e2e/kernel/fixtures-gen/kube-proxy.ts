// Writes what kube-proxy (iptables mode, current layout) and kubelet put into
// iptables-restore for a handful of Services, per
// /work/shared/notes/kube-proxy-layout.md §2–3 (pkg/proxy/iptables/proxier.go).
// Only for building kernel fixtures: the text is loaded into a scratch netns
// and read back with iptables-save (build.ts), so the fixture is what a real
// node prints.

import { createHash } from 'node:crypto';

export interface Endpoint {
  ip: string;
  port: number;
  /** On this node (nodeName matches). */
  local: boolean;
}

export interface ServicePort {
  namespace: string;
  name: string;
  /** Port name; '' gives `ns/name` without a colon. */
  portName: string;
  proto: 'tcp' | 'udp';
  clusterIP: string;
  port: number;
  nodePort?: number;
  loadBalancerIPs?: string[];
  sourceRanges?: string[];
  externalIPs?: string[];
  externalTrafficPolicy?: 'Cluster' | 'Local';
  internalTrafficPolicy?: 'Cluster' | 'Local';
  /** sessionAffinity ClientIP with this timeoutSeconds. */
  affinitySeconds?: number;
  healthCheckNodePort?: number;
  endpoints: Endpoint[];
}

export interface KubeProxyOptions {
  clusterCIDR: string;
  masqueradeMark?: string;
  randomFully?: boolean;
  /** IPv6 (ip6tables): no kubelet KUBE-FIREWALL, the nodeports rule skips ::1. */
  family?: 4 | 6;
  /** filter FORWARD policy (DROP on nodes where Docker also runs). */
  forwardPolicy?: 'ACCEPT' | 'DROP';
  /** Extra restore text per table, appended before COMMIT (CNI rules, …). */
  extra?: Partial<Record<'filter' | 'nat' | 'mangle', { chains: string[]; rules: string[] }>>;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(buf: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export const hash16 = (s: string) => base32(createHash('sha256').update(s).digest()).slice(0, 16);

export function servicePortName(sp: ServicePort): string {
  return sp.portName ? `${sp.namespace}/${sp.name}:${sp.portName}` : `${sp.namespace}/${sp.name}`;
}

export const chainName = (prefix: 'SVC' | 'SVL' | 'EXT' | 'FW', sp: ServicePort) =>
  `KUBE-${prefix}-${hash16(servicePortName(sp) + sp.proto)}`;

export const sepChain = (sp: ServicePort, ep: Endpoint) =>
  `KUBE-SEP-${hash16(`${servicePortName(sp)}${sp.proto}${hostPort(ep)}`)}`;

const q = (s: string) => `"${s}"`;

/** Go's net.JoinHostPort: `10.0.0.1:80`, `[fd00::1]:80`. */
export const hostPort = (e: { ip: string; port: number }) =>
  e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;

export function kubeProxyRestore(services: ServicePort[], opts: KubeProxyOptions): string {
  const mark = opts.masqueradeMark ?? '0x4000';
  const v6 = opts.family === 6;
  const cidr = opts.clusterCIDR;
  const filterChains = [
    'KUBE-SERVICES',
    'KUBE-EXTERNAL-SERVICES',
    'KUBE-FORWARD',
    'KUBE-NODEPORTS',
    'KUBE-PROXY-FIREWALL',
  ];
  const filter: string[] = [];
  const natChains = ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'];
  const nat: string[] = [];

  for (const sp of services) {
    const S = servicePortName(sp);
    const p = sp.proto;
    const eps = [...sp.endpoints].sort((a, b) => {
      const x = hostPort(a);
      const y = hostPort(b);
      return x < y ? -1 : x > y ? 1 : 0;
    });
    const local = eps.filter((e) => e.local);
    const iLocal = sp.internalTrafficPolicy === 'Local';
    const externallyAccessible = !!sp.nodePort || !!sp.loadBalancerIPs?.length || !!sp.externalIPs?.length;
    const eLocal = sp.externalTrafficPolicy === 'Local' && externallyAccessible;
    const hasEndpoints = eps.length > 0;
    const internalEps = iLocal ? local : eps;
    const externalEps = eLocal ? local : eps;
    const hasInternal = internalEps.length > 0;
    const hasExternal = externalEps.length > 0;
    const usesClusterChain = hasEndpoints && (!iLocal || (externallyAccessible && !eLocal));
    const usesLocalChain = hasEndpoints && (iLocal || eLocal);
    const usesExtChain = hasEndpoints && externallyAccessible;
    const usesFW = hasEndpoints && !!sp.loadBalancerIPs?.length && !!sp.sourceRanges?.length;
    const SVC = chainName('SVC', sp);
    const SVL = chainName('SVL', sp);
    const EXT = chainName('EXT', sp);
    const FW = chainName('FW', sp);
    const internalChain = iLocal ? SVL : SVC;
    const externalPolicyChain = eLocal ? SVL : SVC;
    const extTarget = usesFW ? FW : EXT;

    const reachable = eps.filter((e) => (usesClusterChain ? true : e.local));
    if (usesClusterChain) natChains.push(SVC);
    if (usesLocalChain) natChains.push(SVL);
    if (usesExtChain) natChains.push(EXT);
    if (usesFW) natChains.push(FW);
    for (const e of reachable) natChains.push(sepChain(sp, e));

    const intFilter =
      iLocal && hasEndpoints && !hasInternal
        ? ['DROP', `${S} has no local endpoints`]
        : ['REJECT', `${S} has no endpoints`];
    const extFilter =
      eLocal && hasEndpoints && !hasExternal
        ? ['DROP', `${S} has no local endpoints`]
        : ['REJECT', `${S} has no endpoints`];

    // (a) ClusterIP
    if (hasInternal) {
      nat.push(
        `-A KUBE-SERVICES -m comment --comment ${q(`${S} cluster IP`)} -m ${p} -p ${p} -d ${sp.clusterIP} --dport ${sp.port} -j ${internalChain}`,
      );
    } else {
      filter.push(
        `-A KUBE-SERVICES -m comment --comment ${q(intFilter[1])} -m ${p} -p ${p} -d ${sp.clusterIP} --dport ${sp.port} -j ${intFilter[0]}`,
      );
    }
    // (b) externalIPs
    for (const eip of sp.externalIPs ?? []) {
      if (hasEndpoints) {
        nat.push(
          `-A KUBE-SERVICES -m comment --comment ${q(`${S} external IP`)} -m ${p} -p ${p} -d ${eip} --dport ${sp.port} -j ${EXT}`,
        );
      }
      if (!hasExternal) {
        filter.push(
          `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${q(extFilter[1])} -m ${p} -p ${p} -d ${eip} --dport ${sp.port} -j ${extFilter[0]}`,
        );
      }
    }
    // (c) LoadBalancer IPs
    for (const lb of sp.loadBalancerIPs ?? []) {
      if (hasEndpoints) {
        nat.push(
          `-A KUBE-SERVICES -m comment --comment ${q(`${S} loadbalancer IP`)} -m ${p} -p ${p} -d ${lb} --dport ${sp.port} -j ${extTarget}`,
        );
      }
      if (usesFW) {
        filter.push(
          `-A KUBE-PROXY-FIREWALL -m comment --comment ${q(`${S} traffic not accepted by ${FW}`)} -m ${p} -p ${p} -d ${lb} --dport ${sp.port} -j DROP`,
        );
      }
    }
    if (!hasExternal) {
      for (const lb of sp.loadBalancerIPs ?? []) {
        filter.push(
          `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${q(extFilter[1])} -m ${p} -p ${p} -d ${lb} --dport ${sp.port} -j ${extFilter[0]}`,
        );
      }
    }
    // (d) NodePort
    if (sp.nodePort) {
      if (hasEndpoints) {
        nat.push(`-A KUBE-NODEPORTS -m comment --comment ${q(S)} -m ${p} -p ${p} --dport ${sp.nodePort} -j ${EXT}`);
      }
      if (!hasExternal) {
        filter.push(
          `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${q(extFilter[1])} -m addrtype --dst-type LOCAL -m ${p} -p ${p} --dport ${sp.nodePort} -j ${extFilter[0]}`,
        );
      }
    }
    // (e) health check node port
    if (sp.healthCheckNodePort) {
      filter.push(
        `-A KUBE-NODEPORTS -m comment --comment ${q(`${S} health check node port`)} -m tcp -p tcp --dport ${sp.healthCheckNodePort} -j ACCEPT`,
      );
    }
    if (!hasEndpoints) continue;

    // (f) internal masquerade
    if (hasInternal) {
      nat.push(
        `-A ${internalChain} -m comment --comment ${q(`${S} cluster IP`)} -m ${p} -p ${p} -d ${sp.clusterIP} --dport ${sp.port} ! -s ${cidr} -j KUBE-MARK-MASQ`,
      );
    }
    // (i) service → endpoints
    const toEndpoints = (chain: string, list: Endpoint[]) => {
      if (sp.affinitySeconds) {
        for (const e of list) {
          nat.push(
            `-A ${chain} -m comment --comment ${q(`${S} -> ${hostPort(e)}`)} -m recent --name ${sepChain(sp, e)} --rcheck --seconds ${sp.affinitySeconds} --reap -j ${sepChain(sp, e)}`,
          );
        }
      }
      list.forEach((e, i) => {
        const stat =
          i < list.length - 1 ? ` -m statistic --mode random --probability ${(1 / (list.length - i)).toFixed(10)}` : '';
        nat.push(`-A ${chain} -m comment --comment ${q(`${S} -> ${hostPort(e)}`)}${stat} -j ${sepChain(sp, e)}`);
      });
    };
    if (usesClusterChain) toEndpoints(SVC, eps);
    if (usesLocalChain) toEndpoints(SVL, local);
    // (g) external traffic chain
    if (usesExtChain) {
      if (!eLocal) {
        nat.push(
          `-A ${EXT} -m comment --comment ${q(`masquerade traffic for ${S} external destinations`)} -j KUBE-MARK-MASQ`,
        );
      } else {
        nat.push(
          `-A ${EXT} -m comment --comment ${q(`pod traffic for ${S} external destinations`)} -s ${cidr} -j ${SVC}`,
        );
        nat.push(
          `-A ${EXT} -m comment --comment ${q(`masquerade LOCAL traffic for ${S} external destinations`)} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
        );
        nat.push(
          `-A ${EXT} -m comment --comment ${q(`route LOCAL traffic for ${S} external destinations`)} -m addrtype --src-type LOCAL -j ${SVC}`,
        );
      }
      if (!eLocal || local.length > 0) nat.push(`-A ${EXT} -j ${externalPolicyChain}`);
    }
    // (h) firewall chain
    if (usesFW) {
      for (const range of sp.sourceRanges ?? []) {
        nat.push(`-A ${FW} -m comment --comment ${q(`${S} loadbalancer IP`)} -s ${range} -j ${EXT}`);
      }
      nat.push(`-A ${FW} -m comment --comment ${q(`other traffic to ${S} will be dropped by KUBE-PROXY-FIREWALL`)}`);
    }
    // (j) endpoint chains
    for (const e of reachable) {
      const SEP = sepChain(sp, e);
      nat.push(`-A ${SEP} -m comment --comment ${q(S)} -s ${e.ip} -j KUBE-MARK-MASQ`);
      const rec = sp.affinitySeconds ? ` -m recent --name ${SEP} --set` : '';
      nat.push(`-A ${SEP} -m comment --comment ${q(S)}${rec} -m ${p} -p ${p} -j DNAT --to-destination ${hostPort(e)}`);
    }
  }

  const rf = opts.randomFully ? ' --random-fully' : '';
  const chainLines = (chains: string[]) => [...new Set(chains)].map((c) => `:${c} - [0:0]`);
  const extra = (t: 'filter' | 'nat' | 'mangle') => opts.extra?.[t] ?? { chains: [], rules: [] };

  const mangleText = [
    '*mangle',
    ...chainLines(['KUBE-IPTABLES-HINT', 'KUBE-KUBELET-CANARY', 'KUBE-PROXY-CANARY', ...extra('mangle').chains]),
    ...extra('mangle').rules,
    'COMMIT',
  ];
  const filterText = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    `:FORWARD ${opts.forwardPolicy ?? 'ACCEPT'} [0:0]`,
    ':OUTPUT ACCEPT [0:0]',
    ...chainLines([
      ...filterChains,
      ...(v6 ? [] : ['KUBE-FIREWALL']),
      'KUBE-KUBELET-CANARY',
      'KUBE-PROXY-CANARY',
      ...extra('filter').chains,
    ]),
    // Jump rules as a running node shows them: kubelet's KUBE-FIREWALL first,
    // then kube-proxy's `-I` insertions on top (layout §2).
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    ...(v6 ? [] : ['-A INPUT -j KUBE-FIREWALL']),
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    ...(v6
      ? []
      : [
          '-A OUTPUT -j KUBE-FIREWALL',
          '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
        ]),
    ...filter,
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`,
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ...extra('filter').rules,
    'COMMIT',
  ];
  const natText = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ...chainLines([...natChains, 'KUBE-KUBELET-CANARY', 'KUBE-PROXY-CANARY', ...extra('nat').chains]),
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    `-A KUBE-POSTROUTING -m mark ! --mark ${mark}/${mark} -j RETURN`,
    `-A KUBE-POSTROUTING -j MARK --xor-mark ${mark}`,
    `-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${rf}`,
    `-A KUBE-MARK-MASQ -j MARK --or-mark ${mark}`,
    ...nat,
    `-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL${v6 ? ' ! -d ::1/128' : ''} -j KUBE-NODEPORTS`,
    ...extra('nat').rules,
    'COMMIT',
  ];
  return `${[...mangleText, ...filterText, ...natText].join('\n')}\n`;
}
