// Services + EndpointSlices → the rules kube-proxy (iptables mode) writes.
// A port of syncProxyRules in kubernetes/kubernetes pkg/proxy/iptables/proxier.go: one family per
// call (IPv4 or IPv6), one full sync; layout and order as in /work/shared/notes/kube-proxy-layout.md §2–§4.
// Three layouts: 'current' (1.25+), '1.24' (KUBE-EXT/KUBE-SVL, but drops through KUBE-MARK-DROP) and
// 'legacy' (1.23 and before: KUBE-XLB, proxier-legacy.ts).
import type { Family } from '../model';
import { cidrContains, formatCidr, formatIp, hostPort, parseCidr, parseIp } from '../parse';
import { endpointChain, servicePortChain } from './hash';
import type { EndpointSlice, Protocol, Service, ServicePort } from './objects';
import { servicePortName } from './objects';
import { writeLegacyServicePort } from './proxier-legacy';
import { bytewise, emptyRuleset, type KubeRuleset, type KubeTable } from './rules';

/**
 * Which release's rule layout to write: 'current' is 1.25 and later; '1.24' is the release of the
 * KUBE-EXT reorganisation (PR #109060) that still drops through KUBE-MARK-DROP; 'legacy' is 1.23
 * and before (KUBE-XLB, a KUBE-FW chain for every load balancer IP).
 */
export type ProxierLayout = 'current' | '1.24' | 'legacy';

export interface ProxierConfig {
  /** The rule layout of this kube-proxy release (default 'current'). */
  layout?: ProxierLayout;
  /**
   * `--detect-local-mode`: traffic from pods is recognised by the interface it arrives on
   * (BridgeInterface `-i br0`, InterfaceNamePrefix `-i veth+`) instead of by clusterCIDR.
   */
  detectLocal?: { mode: 'BridgeInterface'; interface: string } | { mode: 'InterfaceNamePrefix'; prefix: string };
  /** The local-traffic detector's CIDR (`--cluster-cidr`, or the node's pod CIDR in NodeCIDR mode); null: no detector. */
  clusterCIDR: string | null;
  /** The node's IPs; the first is `proxier.nodeIP`. */
  nodeIPs: string[];
  nodeName: string;
  masqueradeAll: boolean;
  masqueradeBit: number;
  localhostNodePorts: boolean;
  /** nfacct counters are available in the kernel (adds `-m nfacct` to two rules). */
  nfacct: boolean;
  /** MASQUERADE --random-fully (iptables supports it since 1.6.2). */
  randomFully: boolean;
  /** nf_conntrack_tcp_be_liberal is set: kube-proxy then leaves INVALID packets alone. */
  conntrackTCPLiberal: boolean;
  /** `--nodeport-addresses`: CIDRs whose node IPs accept node ports; empty means every LOCAL address. */
  nodePortAddresses: string[];
  /** Write the KUBE-PROXY-CANARY chains kube-proxy's monitor creates. */
  canaries: boolean;
  /** Write the jump rules from the built-in chains (not part of kube-proxy's restore buffer). */
  jumpRules: boolean;
}

/** One endpoint of one service port, as pkg/proxy/endpoint.go sees it. */
export interface EndpointInfo {
  ip: string;
  port: number;
  /** `net.JoinHostPort(ip, port)`. */
  endpoint: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  isLocal: boolean;
}

/** What was generated for one service port, for the app to link chains back to YAML. */
export interface ServicePortResult {
  servicePortName: string;
  family: Family;
  protocol: Protocol;
  service: Service;
  port: ServicePort;
  chains: string[];
  endpoints: EndpointInfo[];
}

/** Endpoints for one service port: same family, matching port name and protocol, deduplicated, sorted bytewise. */
export function endpointsFor(
  service: Service,
  port: ServicePort,
  slices: readonly EndpointSlice[],
  nodeName: string,
  family: Family = 4,
): EndpointInfo[] {
  const byKey = new Map<string, EndpointInfo>();
  for (const slice of slices) {
    if (slice.namespace !== service.namespace || slice.serviceName !== service.name) continue;
    if (slice.addressType !== (family === 4 ? 'IPv4' : 'IPv6')) continue;
    for (const slicePort of slice.ports) {
      if (slicePort.name !== port.name || slicePort.protocol !== port.protocol) continue;
      for (const ep of slice.endpoints) {
        // kube-proxy uses only the first address of an endpoint (pkg/proxy/endpointslicecache.go).
        const ip = canonicalAddress(ep.address, family);
        if (ip === null) continue;
        const endpoint = hostPort(ip, slicePort.port);
        if (byKey.has(endpoint)) continue;
        byKey.set(endpoint, {
          ip,
          port: slicePort.port,
          endpoint,
          ready: ep.ready,
          serving: ep.serving,
          terminating: ep.terminating,
          isLocal: ep.nodeName !== null && ep.nodeName === nodeName,
        });
      }
    }
  }
  return [...byKey.values()].sort((a, b) => bytewise(a.endpoint, b.endpoint));
}

export interface Categorized {
  cluster: EndpointInfo[];
  local: EndpointInfo[];
  allReachable: EndpointInfo[];
  hasAny: boolean;
}

/** pkg/proxy/topology.go CategorizeEndpoints, without topology hints. */
export function categorizeEndpoints(
  endpoints: readonly EndpointInfo[],
  usesCluster: boolean,
  usesLocal: boolean,
  terminatingFallback = true,
): Categorized {
  // Serving-terminating endpoints stand in only behind the ProxyTerminatingEndpoints gate, on by
  // default from 1.26 (GA 1.28); the older layouts here follow their releases' defaults (off).
  const usable = (eps: readonly EndpointInfo[]) => {
    const ready = eps.filter((e) => e.ready);
    return ready.length > 0 || !terminatingFallback ? ready : eps.filter((e) => e.serving && e.terminating);
  };
  const cluster = usesCluster ? usable(endpoints) : [];
  if (!usesLocal) return { cluster, local: [], allReachable: cluster, hasAny: cluster.length > 0 };
  const local = usable(endpoints.filter((e) => e.isLocal));
  const hasAny = endpoints.some((e) => e.ready || (e.serving && e.terminating));
  const allReachable = [...cluster, ...local.filter((e) => !cluster.includes(e))];
  return { cluster, local, allReachable, hasAny };
}

/** Leading zeros are normalised (TestBadIPs: 172.30.0.041 → 172.30.0.41); bad addresses are skipped. */
function canonical4(ip: string): string | null {
  const parts = ip.trim().split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.map((p) => String(Number(p))).join('.');
}

function canonical6(ip: string): string | null {
  const parsed = ip.includes(':') ? parseIp(ip.trim()) : null;
  return parsed && parsed.family === 6 ? formatIp(parsed) : null;
}

/** The address in its family's canonical text, or null when it is not of that family. */
export function canonicalAddress(ip: string, family: Family): string | null {
  return family === 4 ? canonical4(ip) : canonical6(ip);
}

export function canonicalCidr(text: string, family: Family): string | null {
  const [ip, prefix] = text.trim().split('/');
  const addr = canonicalAddress(ip ?? '', family);
  const max = family === 4 ? 32 : 128;
  if (!addr || prefix === undefined || !/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return null;
  // net.ParseCIDR's IPNet.String(): host bits cleared (10.1.2.3/8 → 10.0.0.0/8).
  const cidr = parseCidr(`${addr}/${Number(prefix)}`);
  return cidr ? formatCidr(cidr) : null;
}

/** The config as one family's proxier sees it: its node IPs, its detector CIDR, localhost node ports only on IPv4. */
export function forFamily(config: ProxierConfig, family: Family): ProxierConfig {
  const cidrs = (config.clusterCIDR ?? '').split(',').map((c) => canonicalCidr(c, family));
  return {
    ...config,
    clusterCIDR: cidrs.find((c) => c !== null) ?? null,
    nodeIPs: config.nodeIPs
      .map((ip) => canonicalAddress(ip.split('/')[0], family))
      .filter((ip): ip is string => ip !== null),
    nodePortAddresses: config.nodePortAddresses.filter((c) => canonicalCidr(c, family) !== null),
    // Before 1.25 nothing special-cased localhost node ports (no nfacct rule, no KUBE-FIREWALL of kube-proxy's own).
    localhostNodePorts: config.localhostNodePorts && family === 4 && (config.layout ?? 'current') === 'current',
  };
}

/** KUBE-FIREWALL's localnet rule: kube-proxy's since 1.25 (localhostNodePorts), kubelet's before. */
const BLOCK_LOCALNET = [
  '-m',
  'comment',
  '--comment',
  'block incoming localnet connections',
  '-d',
  '127.0.0.0/8',
  '!',
  '-s',
  '127.0.0.0/8',
  '-m',
  'conntrack',
  '!',
  '--ctstate',
  'RELATED,ESTABLISHED,DNAT',
  '-j',
  'DROP',
] as const;

/** largeClusterEndpointsThreshold in proxier.go. */
export const LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000;

export function generateRules(
  services: readonly Service[],
  slices: readonly EndpointSlice[],
  proxierConfig: ProxierConfig,
  family: Family = 4,
): { ruleset: KubeRuleset; servicePorts: ServicePortResult[] } {
  const config = forFamily(proxierConfig, family);
  const layout = config.layout ?? 'current';
  const ruleset = emptyRuleset();
  const add = (table: KubeTable, chain: string, ...args: string[]) => ruleset[table].rules.push({ chain, args });
  const declared = { mangle: new Set<string>(), filter: new Set<string>(), nat: new Set<string>() };
  const declare = (table: KubeTable, chain: string) => {
    if (declared[table].has(chain)) return;
    declared[table].add(chain);
    ruleset[table].chains.push(chain);
  };
  const mark = `0x${(1 << config.masqueradeBit).toString(16)}`;
  const ipv4Localhost = config.localhostNodePorts;
  // pkg/proxy/util/localdetector.go: IfLocal / IfNotLocal are these arguments, with or without '!'.
  const detector: string[] | null =
    config.detectLocal?.mode === 'BridgeInterface'
      ? ['-i', config.detectLocal.interface]
      : config.detectLocal?.mode === 'InterfaceNamePrefix'
        ? ['-i', `${config.detectLocal.prefix}+`]
        : config.clusterCIDR
          ? ['-s', config.clusterCIDR]
          : null;
  const nodeIP = config.nodeIPs[0] ?? null;

  for (const chain of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-NODEPORTS']) {
    declare('filter', chain);
  }
  if (layout === 'current') declare('filter', 'KUBE-PROXY-FIREWALL');
  if (ipv4Localhost) declare('filter', 'KUBE-FIREWALL');
  for (const chain of ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ']) declare('nat', chain);
  if (config.canaries) for (const table of ['mangle', 'filter', 'nat'] as const) declare(table, 'KUBE-PROXY-CANARY');
  if (layout !== 'current') writeKubeletDropChains(ruleset, declare, family);

  if (ipv4Localhost) add('filter', 'KUBE-FIREWALL', ...BLOCK_LOCALNET);
  add('nat', 'KUBE-POSTROUTING', '-m', 'mark', '!', '--mark', `${mark}/${mark}`, '-j', 'RETURN');
  add('nat', 'KUBE-POSTROUTING', '-j', 'MARK', '--xor-mark', mark);
  add(
    'nat',
    'KUBE-POSTROUTING',
    '-m',
    'comment',
    '--comment',
    'kubernetes service traffic requiring SNAT',
    '-j',
    'MASQUERADE',
    ...(config.randomFully ? ['--random-fully'] : []),
  );
  add('nat', 'KUBE-MARK-MASQ', '-j', 'MARK', '--or-mark', mark);

  // Above 1000 endpoints in all, kube-proxy drops the comments of endpoint rules (largeClusterMode).
  const slicesByService = new Map<string, EndpointSlice[]>();
  for (const slice of slices) {
    const key = `${slice.namespace}/${slice.serviceName}`;
    const list = slicesByService.get(key);
    if (list) list.push(slice);
    else slicesByService.set(key, [slice]);
  }
  const endpointsByPort = new Map<ServicePort, EndpointInfo[]>();
  for (const s of services) {
    const own = slicesByService.get(`${s.namespace}/${s.name}`) ?? [];
    for (const p of s.ports) endpointsByPort.set(p, endpointsFor(s, p, own, config.nodeName, family));
  }
  let totalEndpoints = 0;
  for (const eps of endpointsByPort.values()) totalEndpoints += eps.length;
  const endpointComment = (text: string) =>
    totalEndpoints > LARGE_CLUSTER_ENDPOINTS_THRESHOLD ? [] : ['-m', 'comment', '--comment', text];
  const servicePorts: ServicePortResult[] = [];
  for (const service of services) {
    if (service.type === 'ExternalName') continue;
    const canon = (ip: string) => canonicalAddress(ip, family);
    const clusterIP = service.clusterIPs.map(canon).find((ip): ip is string => ip !== null) ?? null;
    if (clusterIP === null) continue; // headless, or IPv6-only: not this family
    const externalIPs = service.externalIPs.map(canon).filter((ip): ip is string => ip !== null);
    const lbIPs = service.loadBalancerIPs.map(canon).filter((ip): ip is string => ip !== null);
    const sourceRanges = service.loadBalancerSourceRanges
      .map((c) => canonicalCidr(c, family))
      .filter((c): c is string => c !== null);
    const write = layout === 'legacy' ? writeLegacyServicePort : writeServicePort;
    for (const port of service.ports) {
      servicePorts.push(
        write(service, port, { clusterIP, externalIPs, lbIPs, sourceRanges }, endpointsByPort.get(port) ?? [], config, {
          add,
          declare,
          detector,
          nodeIP,
          endpointComment,
          family,
          layout,
        }),
      );
    }
  }

  writeNodePortsJump(add, config, family, layout);
  // The tcp_be_liberal check and the nfacct counter came with 1.29; older releases always drop INVALID.
  if (!config.conntrackTCPLiberal || layout !== 'current') {
    add(
      'filter',
      'KUBE-FORWARD',
      '-m',
      'conntrack',
      '--ctstate',
      'INVALID',
      ...(config.nfacct && layout === 'current'
        ? ['-m', 'nfacct', '--nfacct-name', 'ct_state_invalid_dropped_pkts']
        : []),
      '-j',
      'DROP',
    );
  }
  add(
    'filter',
    'KUBE-FORWARD',
    '-m',
    'comment',
    '--comment',
    'kubernetes forwarding rules',
    '-m',
    'mark',
    '--mark',
    `${mark}/${mark}`,
    '-j',
    'ACCEPT',
  );
  add(
    'filter',
    'KUBE-FORWARD',
    '-m',
    'comment',
    '--comment',
    'kubernetes forwarding conntrack rule',
    '-m',
    'conntrack',
    '--ctstate',
    'RELATED,ESTABLISHED',
    '-j',
    'ACCEPT',
  );

  if (config.jumpRules) writeJumpRules(ruleset, layout === 'current' ? ipv4Localhost : true, layout);
  return { ruleset, servicePorts };
}

/**
 * Before 1.25, kubelet kept KUBE-MARK-DROP (nat) and a KUBE-FIREWALL (filter) that drops what it
 * marked, and kube-proxy relied on them (pkg/kubelet/kubelet_network_linux.go syncNetworkUtil:
 * drop bit 15, mark `%#08x`; the localnet rule on IPv4 only). They are part of the node's dump.
 */
function writeKubeletDropChains(
  ruleset: KubeRuleset,
  declare: (table: KubeTable, chain: string) => void,
  family: Family,
): void {
  const dropMark = '0x8000';
  declare('nat', 'KUBE-MARK-DROP');
  declare('filter', 'KUBE-FIREWALL');
  ruleset.nat.rules.push({ chain: 'KUBE-MARK-DROP', args: ['-j', 'MARK', '--set-xmark', `${dropMark}/${dropMark}`] });
  ruleset.filter.rules.push({
    chain: 'KUBE-FIREWALL',
    args: [
      '-m',
      'comment',
      '--comment',
      'kubernetes firewall for dropping marked packets',
      '-m',
      'mark',
      '--mark',
      `${dropMark}/${dropMark}`,
      '-j',
      'DROP',
    ],
  });
  if (family === 4) ruleset.filter.rules.push({ chain: 'KUBE-FIREWALL', args: [...BLOCK_LOCALNET] });
}

/**
 * The last rule of nat KUBE-SERVICES: node ports are any LOCAL destination, minus 127.0.0.0/8 without
 * localhostNodePorts; with --nodeport-addresses, one rule per node IP inside them instead.
 */
function writeNodePortsJump(
  add: (table: KubeTable, chain: string, ...args: string[]) => void,
  config: ProxierConfig,
  family: Family,
  layout: ProxierLayout,
): void {
  const comment = [
    '-m',
    'comment',
    '--comment',
    'kubernetes service nodeports; NOTE: this must be the last rule in this chain',
  ];
  if (config.nodePortAddresses.length === 0) {
    // Until 1.25 the rule was the same for both families and every LOCAL address (1.24 syncProxyRules).
    const notLocalhost =
      layout !== 'current'
        ? []
        : family === 6
          ? ['!', '-d', '::1/128']
          : config.localhostNodePorts
            ? []
            : ['!', '-d', '127.0.0.0/8'];
    add(
      'nat',
      'KUBE-SERVICES',
      ...comment,
      '-m',
      'addrtype',
      '--dst-type',
      'LOCAL',
      ...notLocalhost,
      '-j',
      'KUBE-NODEPORTS',
    );
    return;
  }
  const cidrs = config.nodePortAddresses.map((c) => parseCidr(c.trim()));
  // IPv6 never takes node ports on ::1.
  const addresses = family === 4 ? [...config.nodeIPs, '127.0.0.1'] : config.nodeIPs;
  for (const ip of addresses) {
    const parsed = parseIp(ip);
    if (parsed === null || !cidrs.some((c) => c && cidrContains(c, parsed))) continue;
    if (ip.startsWith('127.') && !config.localhostNodePorts && layout === 'current') continue;
    add('nat', 'KUBE-SERVICES', ...comment, '-d', ip, '-j', 'KUBE-NODEPORTS');
  }
}

/**
 * The jump rules from built-in chains. kube-proxy checks each with `iptables -C` and inserts it at
 * the top (`-I`) in iptablesJumpChains order, after kubelet inserted `-j KUBE-FIREWALL`; so each
 * built-in chain lists them in reverse, kubelet's last.
 */
function writeJumpRules(ruleset: KubeRuleset, kubeFirewall: boolean, layout: ProxierLayout): void {
  const newOnly = ['-m', 'conntrack', '--ctstate', 'NEW'];
  const jumps: [KubeTable, string, string, string, string[]][] = [
    ['filter', 'INPUT', 'KUBE-EXTERNAL-SERVICES', 'kubernetes externally-visible service portals', newOnly],
    ['filter', 'FORWARD', 'KUBE-EXTERNAL-SERVICES', 'kubernetes externally-visible service portals', newOnly],
    ['filter', 'INPUT', 'KUBE-NODEPORTS', 'kubernetes health check service ports', []],
    ['filter', 'FORWARD', 'KUBE-SERVICES', 'kubernetes service portals', newOnly],
    ['filter', 'OUTPUT', 'KUBE-SERVICES', 'kubernetes service portals', newOnly],
    ['filter', 'FORWARD', 'KUBE-FORWARD', 'kubernetes forwarding rules', []],
    ['filter', 'INPUT', 'KUBE-PROXY-FIREWALL', 'kubernetes load balancer firewall', newOnly],
    ['filter', 'OUTPUT', 'KUBE-PROXY-FIREWALL', 'kubernetes load balancer firewall', newOnly],
    ['filter', 'FORWARD', 'KUBE-PROXY-FIREWALL', 'kubernetes load balancer firewall', newOnly],
    ['nat', 'OUTPUT', 'KUBE-SERVICES', 'kubernetes service portals', []],
    ['nat', 'PREROUTING', 'KUBE-SERVICES', 'kubernetes service portals', []],
    ['nat', 'POSTROUTING', 'KUBE-POSTROUTING', 'kubernetes postrouting rules', []],
  ];
  for (const table of ['filter', 'nat'] as const) {
    const builtinRules = jumps
      .filter(([t, , target]) => t === table && (layout === 'current' || target !== 'KUBE-PROXY-FIREWALL'))
      .reverse()
      .map(([, chain, target, comment, extra]) => ({
        chain,
        args: [...extra, '-m', 'comment', '--comment', comment, '-j', target],
      }));
    if (table === 'filter' && kubeFirewall) {
      for (const chain of ['INPUT', 'OUTPUT']) builtinRules.push({ chain, args: ['-j', 'KUBE-FIREWALL'] });
    }
    ruleset[table].rules.unshift(...builtinRules);
  }
}

export interface Writer {
  add: (table: KubeTable, chain: string, ...args: string[]) => void;
  declare: (table: KubeTable, chain: string) => void;
  /** The local-traffic detector's match (`-s CIDR`, `-i IF`), or null without one. */
  detector: string[] | null;
  nodeIP: string | null;
  family: Family;
  layout: ProxierLayout;
  /** `-m comment --comment TEXT` for endpoint rules; nothing in large-cluster mode (appendServiceCommentLocked). */
  endpointComment: (text: string) => string[];
}

/** The service port name, protocol and the argument pieces every rule of a service port uses. */
export function portArgs(service: Service, port: ServicePort) {
  const S = servicePortName(service, port.name);
  const protocol = port.protocol.toLowerCase();
  const proto = ['-m', protocol, '-p', protocol];
  return {
    S,
    protocol,
    proto,
    comment: (text: string) => ['-m', 'comment', '--comment', text],
    dport: (ip: string | null, p: number) => [...proto, ...(ip ? ['-d', ip] : []), '--dport', String(p)],
  };
}

export interface Addresses {
  clusterIP: string;
  externalIPs: string[];
  lbIPs: string[];
  sourceRanges: string[];
}

function writeServicePort(
  service: Service,
  port: ServicePort,
  ips: Addresses,
  endpoints: EndpointInfo[],
  config: ProxierConfig,
  w: Writer,
): ServicePortResult {
  const { S, protocol, proto, comment, dport } = portArgs(service, port);
  const svcChain = servicePortChain('KUBE-SVC-', S, protocol);
  const svlChain = servicePortChain('KUBE-SVL-', S, protocol);
  const extChain = servicePortChain('KUBE-EXT-', S, protocol);
  const fwChain = servicePortChain('KUBE-FW-', S, protocol);

  // pkg/proxy/serviceport.go
  const externallyAccessible = port.nodePort !== 0 || ips.lbIPs.length > 0 || ips.externalIPs.length > 0;
  const externalPolicyLocal =
    externallyAccessible &&
    service.externalTrafficPolicy === 'Local' &&
    (service.type === 'NodePort' || service.type === 'LoadBalancer' || ips.externalIPs.length > 0);
  const internalPolicyLocal = service.internalTrafficPolicy === 'Local';
  const usesClusterEndpoints = !internalPolicyLocal || externallyAccessible;
  const usesLocalEndpoints = internalPolicyLocal || externalPolicyLocal;

  // 1.24 (syncProxyRules of that release) declared the policy chains whenever the Service had
  // endpoints anywhere, dropped in KUBE-SVL through KUBE-MARK-DROP and never wrote filter DROPs.
  const v124 = w.layout === '1.24';
  const {
    cluster,
    local,
    allReachable,
    hasAny: hasEndpoints,
  } = categorizeEndpoints(endpoints, usesClusterEndpoints, usesLocalEndpoints, w.layout === 'current');
  const chains: string[] = [];
  const declare = (chain: string) => {
    w.declare('nat', chain);
    chains.push(chain);
  };
  for (const ep of allReachable) declare(endpointChain(S, protocol, ep.endpoint));

  const usesClusterPolicyChain = (v124 ? hasEndpoints : cluster.length > 0) && usesClusterEndpoints;
  if (usesClusterPolicyChain) declare(svcChain);
  const usesLocalPolicyChain = (v124 ? hasEndpoints : local.length > 0) && usesLocalEndpoints;
  if (usesLocalPolicyChain) declare(svlChain);

  const internalPolicyChain = internalPolicyLocal ? svlChain : svcChain;
  const hasInternalEndpoints = internalPolicyLocal && !v124 ? hasEndpoints && local.length > 0 : hasEndpoints;
  const externalPolicyChain = externalPolicyLocal ? svlChain : svcChain;
  const hasExternalEndpoints = externalPolicyLocal && !v124 ? hasEndpoints && local.length > 0 : hasEndpoints;
  const usesExternalTrafficChain = hasEndpoints && externallyAccessible;
  if (usesExternalTrafficChain) declare(extChain);

  // Filter verdicts where endpoints are missing: REJECT with none at all; DROP with none local
  // (the policy in question is Local). Internal and external traffic share the verdict and comment.
  const noEndpointsVerdict = !hasEndpoints ? 'REJECT' : 'DROP';
  const noEndpointsComment = !hasEndpoints ? `${S} has no endpoints` : `${S} has no local endpoints`;

  // (a) the cluster IP
  if (hasInternalEndpoints) {
    w.add(
      'nat',
      'KUBE-SERVICES',
      ...comment(`${S} cluster IP`),
      ...dport(ips.clusterIP, port.port),
      '-j',
      internalPolicyChain,
    );
  } else {
    w.add(
      'filter',
      'KUBE-SERVICES',
      ...comment(noEndpointsComment),
      ...dport(ips.clusterIP, port.port),
      '-j',
      noEndpointsVerdict,
    );
  }

  // (b) external IPs
  for (const externalIP of ips.externalIPs) {
    if (hasEndpoints) {
      w.add('nat', 'KUBE-SERVICES', ...comment(`${S} external IP`), ...dport(externalIP, port.port), '-j', extChain);
    }
    if (!hasExternalEndpoints) {
      w.add(
        'filter',
        'KUBE-EXTERNAL-SERVICES',
        ...comment(noEndpointsComment),
        ...dport(externalIP, port.port),
        '-j',
        noEndpointsVerdict,
      );
    }
  }

  // (c) load balancer IPs
  const usesFWChain = hasEndpoints && ips.lbIPs.length > 0 && ips.sourceRanges.length > 0;
  if (usesFWChain) declare(fwChain);
  if (hasEndpoints) {
    for (const lbIP of ips.lbIPs) {
      w.add(
        'nat',
        'KUBE-SERVICES',
        ...comment(`${S} loadbalancer IP`),
        ...dport(lbIP, port.port),
        '-j',
        usesFWChain ? fwChain : extChain,
      );
      if (usesFWChain && !v124) {
        w.add(
          'filter',
          'KUBE-PROXY-FIREWALL',
          ...comment(`${S} traffic not accepted by ${fwChain}`),
          ...dport(lbIP, port.port),
          '-j',
          'DROP',
        );
      }
    }
  }
  if (!hasExternalEndpoints) {
    for (const lbIP of ips.lbIPs) {
      w.add(
        'filter',
        'KUBE-EXTERNAL-SERVICES',
        ...comment(noEndpointsComment),
        ...dport(lbIP, port.port),
        '-j',
        noEndpointsVerdict,
      );
    }
  }

  // (d) the node port; loadBalancerSourceRanges do not apply to it
  if (port.nodePort !== 0) {
    if (hasEndpoints) {
      // Only with the nfacct counter: otherwise the next rule takes localhost too.
      if (config.localhostNodePorts && config.nfacct && w.layout === 'current') {
        w.add(
          'nat',
          'KUBE-NODEPORTS',
          ...comment(S),
          ...proto,
          '-d',
          '127.0.0.0/8',
          '--dport',
          String(port.nodePort),
          '-m',
          'nfacct',
          '--nfacct-name',
          'localhost_nps_accepted_pkts',
          '-j',
          extChain,
        );
      }
      w.add('nat', 'KUBE-NODEPORTS', ...comment(S), ...dport(null, port.nodePort), '-j', extChain);
    }
    if (!hasExternalEndpoints) {
      w.add(
        'filter',
        'KUBE-EXTERNAL-SERVICES',
        ...comment(noEndpointsComment),
        '-m',
        'addrtype',
        '--dst-type',
        'LOCAL',
        ...dport(null, port.nodePort),
        '-j',
        noEndpointsVerdict,
      );
    }
  }

  // (e) the health check node port: only LoadBalancers with eTP=Local have one (apiservice.NeedsHealthCheck)
  if (service.healthCheckNodePort !== 0 && externalPolicyLocal && service.type === 'LoadBalancer') {
    w.add(
      'filter',
      'KUBE-NODEPORTS',
      ...comment(`${S} health check node port`),
      ...dport(null, service.healthCheckNodePort),
      '-j',
      'ACCEPT',
    );
  }

  if (!hasEndpoints)
    return { servicePortName: S, family: w.family, protocol: port.protocol, service, port, chains, endpoints };

  // (f) masquerade off-cluster traffic to the cluster IP
  if (hasInternalEndpoints) {
    if (config.masqueradeAll) {
      w.add(
        'nat',
        internalPolicyChain,
        ...comment(`${S} cluster IP`),
        ...dport(ips.clusterIP, port.port),
        '-j',
        'KUBE-MARK-MASQ',
      );
    } else if (w.detector) {
      w.add(
        'nat',
        internalPolicyChain,
        ...comment(`${S} cluster IP`),
        ...dport(ips.clusterIP, port.port),
        '!',
        ...w.detector,
        '-j',
        'KUBE-MARK-MASQ',
      );
    }
  }

  // (g) the external traffic chain
  if (usesExternalTrafficChain) {
    if (!externalPolicyLocal) {
      w.add('nat', extChain, ...comment(`masquerade traffic for ${S} external destinations`), '-j', 'KUBE-MARK-MASQ');
    } else {
      if (w.detector) {
        w.add('nat', extChain, ...comment(`pod traffic for ${S} external destinations`), ...w.detector, '-j', svcChain);
      }
      w.add(
        'nat',
        extChain,
        ...comment(`masquerade LOCAL traffic for ${S} external destinations`),
        '-m',
        'addrtype',
        '--src-type',
        'LOCAL',
        '-j',
        'KUBE-MARK-MASQ',
      );
      w.add(
        'nat',
        extChain,
        ...comment(`route LOCAL traffic for ${S} external destinations`),
        '-m',
        'addrtype',
        '--src-type',
        'LOCAL',
        '-j',
        svcChain,
      );
    }
    if (hasExternalEndpoints) w.add('nat', extChain, '-j', externalPolicyChain);
  }

  // (h) the load balancer firewall chain
  if (usesFWChain) {
    let allowFromNode = false;
    for (const range of ips.sourceRanges) {
      w.add('nat', fwChain, ...comment(`${S} loadbalancer IP`), '-s', range, '-j', extChain);
      const cidr = parseCidr(range);
      const node = w.nodeIP ? parseIp(w.nodeIP) : null;
      if (cidr && node && cidrContains(cidr, node)) allowFromNode = true;
    }
    // A VIP that loops back from this node arrives with the VIP as its source.
    if (allowFromNode)
      for (const lbIP of ips.lbIPs)
        w.add('nat', fwChain, ...comment(`${S} loadbalancer IP`), '-s', lbIP, '-j', extChain);
    if (v124) w.add('nat', fwChain, ...comment(`${S} loadbalancer IP`), '-j', 'KUBE-MARK-DROP');
    else w.add('nat', fwChain, ...comment(`other traffic to ${S} will be dropped by KUBE-PROXY-FIREWALL`));
  }

  // (i) service chains → endpoint chains
  if (usesClusterPolicyChain) writeServiceToEndpointRules(w, S, protocol, service, svcChain, cluster);
  if (usesLocalPolicyChain && local.length > 0) writeServiceToEndpointRules(w, S, protocol, service, svlChain, local);
  else if (usesLocalPolicyChain) {
    // 1.24: "Blackhole all traffic since there are no local endpoints"; kubelet's KUBE-FIREWALL drops it.
    w.add('nat', svlChain, ...comment(`${S} has no local endpoints`), '-j', 'KUBE-MARK-DROP');
  }

  // (j) endpoint chains
  for (const ep of allReachable) {
    const sep = endpointChain(S, protocol, ep.endpoint);
    w.add('nat', sep, ...w.endpointComment(S), '-s', ep.ip, '-j', 'KUBE-MARK-MASQ');
    const recent = service.affinityTimeoutSeconds !== null ? ['-m', 'recent', '--name', sep, '--set'] : [];
    w.add('nat', sep, ...w.endpointComment(S), ...recent, ...proto, '-j', 'DNAT', '--to-destination', ep.endpoint);
  }
  return { servicePortName: S, family: w.family, protocol: port.protocol, service, port, chains, endpoints };
}

/** writeServiceToEndpointRules: affinity checks first, then a random split, 1/(n-i) for the i-th. */
export function writeServiceToEndpointRules(
  w: Writer,
  S: string,
  protocol: string,
  service: Service,
  chain: string,
  endpoints: readonly EndpointInfo[],
  // Until 1.24 the comment was the service port name alone.
  ruleComment: (ep: EndpointInfo) => string = (ep) => `${S} -> ${ep.endpoint}`,
): void {
  if (service.affinityTimeoutSeconds !== null) {
    for (const ep of endpoints) {
      const sep = endpointChain(S, protocol, ep.endpoint);
      w.add(
        'nat',
        chain,
        ...w.endpointComment(ruleComment(ep)),
        '-m',
        'recent',
        '--name',
        sep,
        '--rcheck',
        '--seconds',
        String(service.affinityTimeoutSeconds),
        '--reap',
        '-j',
        sep,
      );
    }
  }
  endpoints.forEach((ep, i) => {
    const sep = endpointChain(S, protocol, ep.endpoint);
    const n = endpoints.length;
    const statistic =
      i < n - 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', (1 / (n - i)).toFixed(10)] : [];
    w.add('nat', chain, ...w.endpointComment(ruleComment(ep)), ...statistic, '-j', sep);
  });
}
