// Services + EndpointSlices → what kube-proxy in IPVS mode leaves on a node: the iptables rules
// (nat and filter, matching ipsets instead of per-service chains), the ipsets with their entries,
// the IPVS virtual and real servers, and the addresses bound to kube-ipvs0. A port of
// syncProxyRules and writeIptablesRules in kubernetes/kubernetes pkg/proxy/ipvs/proxier.go (the
// version with KUBE-IPVS-OUT-FILTER, #119656), one family per call, one full sync on a fresh node.
import type { Family } from '../model';
import { cidrContains, parseCidr, parseIp } from '../parse';
import { IPSET_INFO, type IpsetName, ipsetName } from './ipvs-sets';
import type { EndpointSlice, Protocol, Service, ServicePort } from './objects';
import { servicePortName } from './objects';
import {
  canonicalAddress,
  canonicalCidr,
  categorizeEndpoints,
  type EndpointInfo,
  endpointsFor,
  forFamily,
  type ProxierConfig,
  type ServicePortResult,
} from './proxier';
import { emptyRuleset, type KubeRuleset, type KubeTable } from './rules';

export interface IpvsProxierConfig extends ProxierConfig {
  /** `--ipvs-scheduler`; kube-proxy's default is rr. */
  scheduler: string;
}

/** One ipset as kube-proxy creates it (ipset/ipset.go CreateSet) and fills it. */
export interface KubeIpset {
  name: string;
  type: string;
  family: Family;
  /** The comment kube-proxy puts on the iptables rules that match this set. */
  comment: string;
  /** Entry.String() of each member, sorted bytewise. */
  entries: string[];
}

export interface RealServer {
  address: string;
  port: number;
  weight: number;
}

/** An IPVS virtual server as toIPVSService makes it: masq forwarding, /32 (/128) persistence mask. */
export interface VirtualServer {
  protocol: Protocol;
  address: string;
  port: number;
  scheduler: string;
  /** ClientIP affinity: IP_VS_SVC_F_PERSISTENT with this timeout in seconds; null without. */
  persistentTimeout: number | null;
  /** FlagSourceHash (0x10) for the mh scheduler, which the kernel reads as mh-port. */
  sourceHash: boolean;
  realServers: RealServer[];
  servicePortName: string;
}

export interface IpvsRules {
  ruleset: KubeRuleset;
  ipsets: KubeIpset[];
  virtualServers: VirtualServer[];
  /** Addresses kube-proxy binds to the kube-ipvs0 dummy (ClusterIPs; external and LB IPs not on another interface). */
  boundAddresses: string[];
  /** Every service port of this family with its endpoints (IPVS mode owns no per-service chains). */
  servicePorts: ServicePortResult[];
}

const comment = (text: string) => ['-m', 'comment', '--comment', text];

/**
 * ipsetWithIptablesChain: the rules written for every non-empty set, in this order.
 * kubeNodePortLocalSetTCP must come before kubeNodePortSetTCP (and so on for UDP, SCTP).
 */
const IPSET_JUMPS: { set: IpsetName; table: KubeTable; from: string; to: string; flags: string; proto?: string }[] = [
  { set: 'KUBE-LOOP-BACK', table: 'nat', from: 'KUBE-POSTROUTING', to: 'MASQUERADE', flags: 'dst,dst,src' },
  { set: 'KUBE-LOAD-BALANCER', table: 'nat', from: 'KUBE-SERVICES', to: 'KUBE-LOAD-BALANCER', flags: 'dst,dst' },
  { set: 'KUBE-LOAD-BALANCER-LOCAL', table: 'nat', from: 'KUBE-LOAD-BALANCER', to: 'RETURN', flags: 'dst,dst' },
  {
    set: 'KUBE-NODE-PORT-LOCAL-TCP',
    table: 'nat',
    from: 'KUBE-NODE-PORT',
    to: 'RETURN',
    flags: 'dst',
    proto: 'tcp',
  },
  { set: 'KUBE-NODE-PORT-TCP', table: 'nat', from: 'KUBE-NODE-PORT', to: 'KUBE-MARK-MASQ', flags: 'dst', proto: 'tcp' },
  {
    set: 'KUBE-NODE-PORT-LOCAL-UDP',
    table: 'nat',
    from: 'KUBE-NODE-PORT',
    to: 'RETURN',
    flags: 'dst',
    proto: 'udp',
  },
  { set: 'KUBE-NODE-PORT-UDP', table: 'nat', from: 'KUBE-NODE-PORT', to: 'KUBE-MARK-MASQ', flags: 'dst', proto: 'udp' },
  {
    set: 'KUBE-NODE-PORT-LOCAL-SCTP-HASH',
    table: 'nat',
    from: 'KUBE-NODE-PORT',
    to: 'RETURN',
    flags: 'dst,dst',
    proto: 'sctp',
  },
  {
    set: 'KUBE-NODE-PORT-SCTP-HASH',
    table: 'nat',
    from: 'KUBE-NODE-PORT',
    to: 'KUBE-MARK-MASQ',
    flags: 'dst,dst',
    proto: 'sctp',
  },
  {
    set: 'KUBE-LOAD-BALANCER-FW',
    table: 'filter',
    from: 'KUBE-PROXY-FIREWALL',
    to: 'KUBE-SOURCE-RANGES-FIREWALL',
    flags: 'dst,dst',
  },
  {
    set: 'KUBE-LOAD-BALANCER-SOURCE-CIDR',
    table: 'filter',
    from: 'KUBE-SOURCE-RANGES-FIREWALL',
    to: 'RETURN',
    flags: 'dst,dst,src',
  },
  {
    set: 'KUBE-LOAD-BALANCER-SOURCE-IP',
    table: 'filter',
    from: 'KUBE-SOURCE-RANGES-FIREWALL',
    to: 'RETURN',
    flags: 'dst,dst,src',
  },
];

/** iptablesChains: the chains kube-proxy declares in its restore buffer, in order. */
const IPVS_CHAINS: Record<'nat' | 'filter', string[]> = {
  nat: ['KUBE-SERVICES', 'KUBE-POSTROUTING', 'KUBE-NODE-PORT', 'KUBE-LOAD-BALANCER', 'KUBE-MARK-MASQ'],
  filter: [
    'KUBE-FORWARD',
    'KUBE-NODE-PORT',
    'KUBE-PROXY-FIREWALL',
    'KUBE-SOURCE-RANGES-FIREWALL',
    'KUBE-IPVS-FILTER',
    'KUBE-IPVS-OUT-FILTER',
  ],
};

/** iptablesJumpChain, each ensured with EnsureRule(Prepend): a later one lands above an earlier one. */
const IPVS_JUMPS: [KubeTable, string, string, string][] = [
  ['nat', 'OUTPUT', 'KUBE-SERVICES', 'kubernetes service portals'],
  ['nat', 'PREROUTING', 'KUBE-SERVICES', 'kubernetes service portals'],
  ['nat', 'POSTROUTING', 'KUBE-POSTROUTING', 'kubernetes postrouting rules'],
  ['filter', 'FORWARD', 'KUBE-FORWARD', 'kubernetes forwarding rules'],
  ['filter', 'INPUT', 'KUBE-NODE-PORT', 'kubernetes health check rules'],
  ['filter', 'INPUT', 'KUBE-PROXY-FIREWALL', 'kube-proxy firewall rules'],
  ['filter', 'FORWARD', 'KUBE-PROXY-FIREWALL', 'kube-proxy firewall rules'],
  ['filter', 'INPUT', 'KUBE-IPVS-FILTER', 'kubernetes ipvs access filter'],
  ['filter', 'OUTPUT', 'KUBE-IPVS-OUT-FILTER', 'kubernetes ipvs access filter'],
];

const bytewise = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Entry.String() (pkg/proxy/ipvs/ipset/ipset.go) as `ipset save` prints it back: a /32 (/128) net loses its prefix. */
function netEntry(cidr: string): string {
  return cidr.endsWith('/32') || cidr.endsWith('/128') ? cidr.slice(0, cidr.lastIndexOf('/')) : cidr;
}

interface Policies {
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
  usesClusterEndpoints: boolean;
  usesLocalEndpoints: boolean;
}

/** pkg/proxy/serviceport.go: the same reading of the traffic policies as the iptables proxier's. */
function policies(service: Service, port: ServicePort, externalIPs: string[], lbIPs: string[]): Policies {
  const externallyAccessible = port.nodePort !== 0 || lbIPs.length > 0 || externalIPs.length > 0;
  const externalPolicyLocal =
    externallyAccessible &&
    service.externalTrafficPolicy === 'Local' &&
    (service.type === 'NodePort' || service.type === 'LoadBalancer' || externalIPs.length > 0);
  const internalPolicyLocal = service.internalTrafficPolicy === 'Local';
  return {
    externalPolicyLocal,
    internalPolicyLocal,
    usesClusterEndpoints: !internalPolicyLocal || externallyAccessible,
    usesLocalEndpoints: internalPolicyLocal || externalPolicyLocal,
  };
}

export function generateIpvsRules(
  services: readonly Service[],
  slices: readonly EndpointSlice[],
  proxierConfig: IpvsProxierConfig,
  family: Family = 4,
): IpvsRules {
  const config: IpvsProxierConfig = { ...forFamily(proxierConfig, family), scheduler: proxierConfig.scheduler };
  const entries = new Map<IpsetName, Set<string>>(IPSET_INFO.map((info) => [info.name, new Set<string>()]));
  const insert = (set: IpsetName, entry: string) => entries.get(set)?.add(entry);
  const virtualServers: VirtualServer[] = [];
  const servicePorts: ServicePortResult[] = [];
  const bound = new Set<string>();
  const lbNoNodeAccess: { ip: string; protocol: string; port: number }[] = [];
  const nodeIP = config.nodeIPs[0] ? parseIp(config.nodeIPs[0]) : null;
  // GetAllLocalAddressesExcept(kube-ipvs0): the node's own addresses (loopback excluded).
  const nodeAddressSet = new Set(config.nodeIPs);
  const nodePortIPs = nodePortAddresses(config);

  const slicesByService = new Map<string, EndpointSlice[]>();
  for (const slice of slices) {
    const key = `${slice.namespace}/${slice.serviceName}`;
    slicesByService.set(key, [...(slicesByService.get(key) ?? []), slice]);
  }

  for (const service of services) {
    if (service.type === 'ExternalName') continue;
    const canon = (ip: string) => canonicalAddress(ip, family);
    const clusterIP = service.clusterIPs.map(canon).find((ip): ip is string => ip !== null) ?? null;
    if (clusterIP === null) continue; // headless, or not of this family (ShouldSkipService)
    const externalIPs = service.externalIPs.map(canon).filter((ip): ip is string => ip !== null);
    const lbIPs = service.loadBalancerIPs.map(canon).filter((ip): ip is string => ip !== null);
    const sourceRanges = service.loadBalancerSourceRanges
      .map((c) => canonicalCidr(c, family))
      .filter((c): c is string => c !== null);
    const own = slicesByService.get(`${service.namespace}/${service.name}`) ?? [];

    for (const port of service.ports) {
      const S = servicePortName(service, port.name);
      const protocol = port.protocol.toLowerCase();
      const endpoints = endpointsFor(service, port, own, config.nodeName, family);
      const policy = policies(service, port, externalIPs, lbIPs);
      servicePorts.push({ servicePortName: S, family, protocol: port.protocol, service, port, chains: [], endpoints });
      const { cluster, local } = categorizeEndpoints(endpoints, policy.usesClusterEndpoints, policy.usesLocalEndpoints);
      // syncEndpoint: Local policy uses the local endpoints, or the cluster ones if there are
      // none (PR 97081: pods on this node can still reach the service).
      const realServers = (onlyNodeLocal: boolean): RealServer[] =>
        (onlyNodeLocal && local.length > 0 ? local : cluster).map((ep: EndpointInfo) => ({
          address: ep.ip,
          port: ep.port,
          weight: 1,
        }));
      const virtualServer = (address: string, vport: number, onlyNodeLocal: boolean) =>
        virtualServers.push({
          protocol: port.protocol,
          address,
          port: vport,
          scheduler: config.scheduler,
          persistentTimeout: service.affinityTimeoutSeconds,
          sourceHash: config.scheduler === 'mh',
          realServers: realServers(onlyNodeLocal),
          servicePortName: S,
        });
      const ipPort = (ip: string, p: number) => `${ip},${protocol}:${p}`;

      // Hairpin: every endpoint on this node, ready or not, may reach itself through the service.
      for (const ep of endpoints) if (ep.isLocal) insert('KUBE-LOOP-BACK', `${ipPort(ep.ip, ep.port)},${ep.ip}`);

      insert('KUBE-CLUSTER-IP', ipPort(clusterIP, port.port));
      virtualServer(clusterIP, port.port, policy.internalPolicyLocal);
      bound.add(clusterIP);

      for (const externalIP of externalIPs) {
        insert(
          policy.externalPolicyLocal ? 'KUBE-EXTERNAL-IP-LOCAL' : 'KUBE-EXTERNAL-IP',
          ipPort(externalIP, port.port),
        );
        virtualServer(externalIP, port.port, policy.externalPolicyLocal);
        // An address already on another interface is not bound to the dummy.
        if (!nodeAddressSet.has(externalIP)) bound.add(externalIP);
      }

      for (const lbIP of lbIPs) {
        const entry = ipPort(lbIP, port.port);
        insert('KUBE-LOAD-BALANCER', entry);
        if (policy.externalPolicyLocal) insert('KUBE-LOAD-BALANCER-LOCAL', entry);
        if (sourceRanges.length > 0) {
          insert('KUBE-LOAD-BALANCER-FW', entry);
          let allowFromNode = false;
          for (const range of sourceRanges) {
            insert('KUBE-LOAD-BALANCER-SOURCE-CIDR', `${entry},${netEntry(range)}`);
            const cidr = parseCidr(range);
            if (cidr && nodeIP && cidrContains(cidr, nodeIP)) allowFromNode = true;
          }
          // A request from one of the LB's backends loops back with the VIP as its source.
          if (allowFromNode) insert('KUBE-LOAD-BALANCER-SOURCE-IP', `${entry},${lbIP}`);
          else lbNoNodeAccess.push({ ip: lbIP, protocol, port: port.port });
        }
        virtualServer(lbIP, port.port, policy.externalPolicyLocal);
        if (!nodeAddressSet.has(lbIP)) bound.add(lbIP);
      }

      if (port.nodePort !== 0 && nodePortIPs.length > 0) {
        const local = policy.externalPolicyLocal;
        if (protocol === 'sctp') {
          // bitmap:port cannot tell SCTP from TCP: a hash:ip,port entry per node IP instead.
          for (const ip of nodePortIPs) {
            insert('KUBE-NODE-PORT-SCTP-HASH', ipPort(ip, port.nodePort));
            if (local) insert('KUBE-NODE-PORT-LOCAL-SCTP-HASH', ipPort(ip, port.nodePort));
          }
        } else {
          const suffix = protocol === 'tcp' ? 'TCP' : 'UDP';
          insert(`KUBE-NODE-PORT-${suffix}`, String(port.nodePort));
          if (local) insert(`KUBE-NODE-PORT-LOCAL-${suffix}`, String(port.nodePort));
        }
        for (const ip of nodePortIPs) virtualServer(ip, port.nodePort, local);
      }

      // apiservice.NeedsHealthCheck: only LoadBalancers with eTP=Local have one.
      if (service.healthCheckNodePort !== 0 && service.type === 'LoadBalancer' && policy.externalPolicyLocal) {
        insert('KUBE-HEALTH-CHECK-NODE-PORT', String(service.healthCheckNodePort));
      }
    }
  }
  for (const address of bound) insert('KUBE-IPVS-IPS', address);

  const ipsets: KubeIpset[] = IPSET_INFO.map((info) => ({
    name: ipsetName(info.name, family),
    type: info.type,
    family,
    comment: info.comment,
    // `ipset save` walks a bitmap in port order, a hash in bucket order (bytewise here).
    entries: [...(entries.get(info.name) ?? [])].sort(
      info.type === 'bitmap:port' ? (a, b) => Number(a) - Number(b) : bytewise,
    ),
  }));
  const ruleset = writeIptablesRules(ipsets, family, config, lbNoNodeAccess);
  return {
    ruleset,
    ipsets,
    virtualServers: sortVirtualServers(virtualServers),
    boundAddresses: [...bound],
    servicePorts,
  };
}

/** The node IPs node ports listen on: all of them, or those inside --nodeport-addresses (never loopback). */
function nodePortAddresses(config: IpvsProxierConfig): string[] {
  if (config.nodePortAddresses.length === 0) return config.nodeIPs;
  const cidrs = config.nodePortAddresses.map((c) => parseCidr(c.trim()));
  return config.nodeIPs.filter((ip) => {
    const parsed = parseIp(ip);
    return parsed !== null && !ip.startsWith('127.') && cidrs.some((c) => c && cidrContains(c, parsed));
  });
}

function writeIptablesRules(
  ipsets: readonly KubeIpset[],
  family: Family,
  config: IpvsProxierConfig,
  lbNoNodeAccess: readonly { ip: string; protocol: string; port: number }[],
): KubeRuleset {
  const ruleset = emptyRuleset();
  const add = (table: KubeTable, chain: string, ...args: string[]) => ruleset[table].rules.push({ chain, args });
  for (const table of ['nat', 'filter'] as const) ruleset[table].chains.push(...IPVS_CHAINS[table]);
  const byName = new Map(IPSET_INFO.map((info, i) => [info.name, ipsets[i]]));
  const set = (name: IpsetName) => byName.get(name) as KubeIpset;
  const nonEmpty = (name: IpsetName) => set(name).entries.length > 0;
  const matchSet = (name: IpsetName, flags: string) => ['-m', 'set', '--match-set', set(name).name, flags];
  const mark = `0x${(1 << config.masqueradeBit).toString(16)}`;

  // Connections from localhost are dismissed early.
  add('nat', 'KUBE-SERVICES', '-s', family === 6 ? '::1/128' : '127.0.0.0/8', '-j', 'RETURN');
  for (const jump of IPSET_JUMPS) {
    if (!nonEmpty(jump.set)) continue;
    add(
      jump.table,
      jump.from,
      ...(jump.proto ? ['-p', jump.proto] : []),
      ...comment(set(jump.set).comment),
      ...matchSet(jump.set, jump.flags),
      '-j',
      jump.to,
    );
  }

  if (nonEmpty('KUBE-CLUSTER-IP')) {
    const clusterIP = [
      ...comment(set('KUBE-CLUSTER-IP').comment),
      '-m',
      'set',
      '--match-set',
      set('KUBE-CLUSTER-IP').name,
    ];
    const detector =
      config.detectLocal?.mode === 'BridgeInterface'
        ? ['-i', config.detectLocal.interface]
        : config.detectLocal?.mode === 'InterfaceNamePrefix'
          ? ['-i', `${config.detectLocal.prefix}+`]
          : config.clusterCIDR
            ? ['-s', config.clusterCIDR]
            : null;
    if (config.masqueradeAll) add('nat', 'KUBE-SERVICES', ...clusterIP, 'dst,dst', '-j', 'KUBE-MARK-MASQ');
    else if (detector) add('nat', 'KUBE-SERVICES', ...clusterIP, 'dst,dst', '!', ...detector, '-j', 'KUBE-MARK-MASQ');
    // Without a detector: masquerade node traffic whose source is a VIP (the route to a VIP is
    // local, so the VIP itself becomes the source address).
    else add('nat', 'KUBE-SERVICES', ...clusterIP, 'src,dst', '-j', 'KUBE-MARK-MASQ');
  }

  // externalIPRules: accept traffic from off the machine (not from a bridge, not from a local
  // process), and traffic to external IPs that happen to be local.
  const externalIPRules = (args: string[]) => {
    add(
      'nat',
      'KUBE-SERVICES',
      ...args,
      '-m',
      'physdev',
      '!',
      '--physdev-is-in',
      '-m',
      'addrtype',
      '!',
      '--src-type',
      'LOCAL',
      '-j',
      'ACCEPT',
    );
    add('nat', 'KUBE-SERVICES', ...args, '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'ACCEPT');
  };
  if (nonEmpty('KUBE-EXTERNAL-IP')) {
    const args = [...comment(set('KUBE-EXTERNAL-IP').comment), ...matchSet('KUBE-EXTERNAL-IP', 'dst,dst')];
    add('nat', 'KUBE-SERVICES', ...args, '-j', 'KUBE-MARK-MASQ');
    externalIPRules(args);
  }
  if (nonEmpty('KUBE-EXTERNAL-IP-LOCAL')) {
    externalIPRules([
      ...comment(set('KUBE-EXTERNAL-IP-LOCAL').comment),
      ...matchSet('KUBE-EXTERNAL-IP-LOCAL', 'dst,dst'),
    ]);
  }

  add('nat', 'KUBE-SERVICES', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'KUBE-NODE-PORT');
  add('nat', 'KUBE-LOAD-BALANCER', '-j', 'KUBE-MARK-MASQ');
  add('filter', 'KUBE-SOURCE-RANGES-FIREWALL', '-j', 'DROP');
  // #119656: source ranges do not apply to the node's own connections to the LB IP (IPVS makes
  // both source and destination the VIP), so those are dropped after IPVS picked a destination.
  for (const e of lbNoNodeAccess) {
    add(
      'filter',
      'KUBE-IPVS-OUT-FILTER',
      '-s',
      e.ip,
      '-m',
      'ipvs',
      '--vaddr',
      e.ip,
      '--vproto',
      e.protocol,
      '--vport',
      String(e.port),
      '-j',
      'DROP',
    );
  }
  // acceptIPVSTraffic: the end of KUBE-SERVICES accepts what IPVS will take.
  for (const name of ['KUBE-CLUSTER-IP', 'KUBE-LOAD-BALANCER'] as const) {
    if (nonEmpty(name)) add('nat', 'KUBE-SERVICES', ...matchSet(name, 'dst,dst'), '-j', 'ACCEPT');
  }

  add(
    'filter',
    'KUBE-FORWARD',
    ...comment('kubernetes forwarding rules'),
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
    ...comment('kubernetes forwarding conntrack rule'),
    '-m',
    'conntrack',
    '--ctstate',
    'RELATED,ESTABLISHED',
    '-j',
    'ACCEPT',
  );
  const healthCheck = set('KUBE-HEALTH-CHECK-NODE-PORT');
  add(
    'filter',
    'KUBE-NODE-PORT',
    ...comment(healthCheck.comment),
    ...matchSet('KUBE-HEALTH-CHECK-NODE-PORT', 'dst'),
    '-j',
    'ACCEPT',
  );
  // #72236: a VIP bound to kube-ipvs0 must not expose the node's own ports.
  for (const [name, flags] of [
    ['KUBE-LOAD-BALANCER', 'dst,dst'],
    ['KUBE-CLUSTER-IP', 'dst,dst'],
    ['KUBE-EXTERNAL-IP', 'dst,dst'],
    ['KUBE-EXTERNAL-IP-LOCAL', 'dst,dst'],
    ['KUBE-HEALTH-CHECK-NODE-PORT', 'dst'],
  ] as const) {
    add('filter', 'KUBE-IPVS-FILTER', ...matchSet(name, flags), '-j', 'RETURN');
  }
  add(
    'filter',
    'KUBE-IPVS-FILTER',
    '-m',
    'conntrack',
    '--ctstate',
    'NEW',
    ...matchSet('KUBE-IPVS-IPS', 'dst'),
    '-j',
    'REJECT',
  );

  add('nat', 'KUBE-POSTROUTING', '-m', 'mark', '!', '--mark', `${mark}/${mark}`, '-j', 'RETURN');
  add('nat', 'KUBE-POSTROUTING', '-j', 'MARK', '--xor-mark', mark);
  add(
    'nat',
    'KUBE-POSTROUTING',
    ...comment('kubernetes service traffic requiring SNAT'),
    '-j',
    'MASQUERADE',
    ...(config.randomFully ? ['--random-fully'] : []),
  );
  add('nat', 'KUBE-MARK-MASQ', '-j', 'MARK', '--or-mark', mark);

  if (config.jumpRules) {
    for (const table of ['nat', 'filter'] as const) {
      const jumps = IPVS_JUMPS.filter(([t]) => t === table)
        .reverse()
        .map(([, chain, target, text]) => ({ chain, args: [...comment(text), '-j', target] }));
      ruleset[table].rules.unshift(...jumps);
    }
  }
  return ruleset;
}

const PROTOCOL_NUMBER: Record<Protocol, number> = { TCP: 6, UDP: 17, SCTP: 132 };

/** Address as a sortable key: IPv4 before IPv6, then numerically (ipvsadm's compare functions). */
function addressKey(address: string): string {
  const ip = parseIp(address);
  if (!ip) return address;
  if (ip.family === 4) return `4${(ip.value >>> 0).toString(16).padStart(8, '0')}`;
  return `6${ip.value.toString(16).padStart(32, '0')}`;
}

/** ipvsadm lists services by protocol, address, port, and each one's real servers by address, port. */
function sortVirtualServers(list: VirtualServer[]): VirtualServer[] {
  const key = (a: string, port: number) => `${addressKey(a)}:${String(port).padStart(5, '0')}`;
  return [...list]
    .sort(
      (a, b) =>
        PROTOCOL_NUMBER[a.protocol] - PROTOCOL_NUMBER[b.protocol] ||
        bytewise(key(a.address, a.port), key(b.address, b.port)),
    )
    .map((vs) => ({
      ...vs,
      realServers: [...vs.realServers].sort((a, b) => bytewise(key(a.address, a.port), key(b.address, b.port))),
    }));
}
