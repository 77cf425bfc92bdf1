// bench/gen: a deterministic generator of what `iptables-nft-save` prints on a
// kube-proxy node (iptables mode, current layout: KUBE-EXT/KUBE-SVL/KUBE-FW,
// filter KUBE-PROXY-FIREWALL, no KUBE-MARK-DROP) with N Services.
//
// Rules are written directly in iptables-save's canonical form (generic options
// first, `/32` added, `-m tcp` after the comment, MARK as --set-xmark, REJECT
// with --reject-with, recent with its defaults, probabilities as `%.11f` of the
// kernel's 1/2^31 steps). See /work/shared/notes/kube-proxy-layout.md §2–4 and
// iptables-save-format.md §1–4. The output was checked by restoring it into a
// scratch netns and diffing `iptables-save` (with `nfacct: false`, since nfacct
// objects do not exist there).
//
// Deterministic: same options → same bytes. No Math.random, no clock.

import { createHash } from 'node:crypto';

/** Bump when the output changes, so cached dumps are regenerated. */
export const GEN_VERSION = 3;

export interface GenOptions {
  /** Number of Services (not service ports). At least 2 (kubernetes, kube-dns). */
  services: number;
  seed?: number;
  /**
   * Whether kube-proxy found nfacct support: adds the localhost NodePort rule
   * and the ct_state_invalid counter. Default true. (A real `iptables-restore`
   * — not `--test` — needs the nfacct objects, so round-trip checks turn it off.)
   */
  nfacct?: boolean;
  /** Header timestamp, as C ctime() prints it. */
  date?: string;
}

export interface WorstService {
  /** `ns/name:port` or `ns/name`. */
  name: string;
  ip: string;
  port: number;
  proto: 'tcp' | 'udp';
  endpoints: number;
  chain: string;
}

export interface GenStats {
  services: number;
  servicePorts: number;
  endpointChains: number;
  noEndpoints: number;
  nodePort: number;
  loadBalancer: number;
  sourceRanges: number;
  etpLocal: number;
  affinity: number;
  multiPort: number;
  externalIPs: number;
  largeClusterMode: boolean;
}

export const NODE_IP = '192.168.0.2';
export const POD_CIDR = '10.244.0.0/24';
export const CLUSTER_CIDR = '10.244.0.0/16';
const MASQ_MARK = '0x4000';
const DEFAULT_DATE = 'Mon Jun  2 10:15:42 2025';

// ---- hashing (kube-proxy's portProtoHash / endpoint hash) ----

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** First 16 chars of RFC 4648 base32(sha256(s)): 80 bits = the first 10 bytes. */
export function kubeHash(s: string): string {
  const h = createHash('sha256').update(s).digest();
  let out = '';
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < 10; i++) {
    acc = (acc << 8) | h[i];
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += B32[(acc >>> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

// ---- PRNG (sfc32, seeded through splitmix32) ----

function makeRng(seed: number) {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    shuffle<T>(xs: T[]): T[] {
      for (let i = xs.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const t = xs[i];
        xs[i] = xs[j];
        xs[j] = t;
      }
      return xs;
    },
  };
}
type Rng = ReturnType<typeof makeRng>;

// ---- the cluster model ----

interface Endpoint {
  ip: string;
  port: number;
  local: boolean;
}

interface SvcPort {
  /** ServicePortName.String(): `ns/name:port` or `ns/name`. */
  name: string;
  proto: 'tcp' | 'udp';
  port: number;
  nodePort: number;
  endpoints: Endpoint[]; // sorted by ip:port bytewise, as kube-proxy sorts them
  svc: Service;
}

interface Service {
  ns: string;
  name: string;
  clusterIP: string;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  lbIPs: string[];
  sourceRanges: string[];
  externalIPs: string[];
  etpLocal: boolean;
  affinitySeconds: number; // 0 = none
  healthCheckNodePort: number;
  ports: SvcPort[];
}

interface Cluster {
  services: Service[];
  worst: SvcPort;
  stats: GenStats;
}

const WORDS = [
  'api',
  'web',
  'worker',
  'cache',
  'db',
  'auth',
  'billing',
  'catalog',
  'search',
  'payments',
  'orders',
  'inventory',
  'gateway',
  'metrics',
  'notifier',
  'frontend',
  'backend',
  'ledger',
  'checkout',
  'cart',
  'users',
  'profile',
  'session',
  'queue',
  'events',
  'audit',
  'reports',
  'pricing',
  'shipping',
  'recommend',
  'ads',
  'media',
  'thumbnails',
  'upload',
  'mailer',
  'sms',
  'scheduler',
  'indexer',
  'crawler',
  'graphql',
  'grpc-proxy',
  'redis',
  'postgres',
  'kafka',
  'zookeeper',
  'elastic',
  'prometheus',
  'grafana',
  'loki',
  'tempo',
  'vault',
  'consul',
];
const SUFFIXES = ['', '', '', '-svc', '-api', '-internal', '-primary', '-replica', '-v2', '-grpc', '-http'];
const TEAMS = [
  'payments',
  'storefront',
  'platform',
  'data',
  'ml',
  'identity',
  'search',
  'ads',
  'media',
  'logistics',
  'finance',
  'growth',
  'infra',
  'observability',
  'security',
  'mobile',
];
const ENVS = ['prod', 'staging', 'canary', 'perf', 'dev'];
const PORT_PRESETS: { name: string; port: number; target: number; proto: 'tcp' | 'udp' }[] = [
  { name: 'http', port: 80, target: 8080, proto: 'tcp' },
  { name: 'https', port: 443, target: 8443, proto: 'tcp' },
  { name: 'grpc', port: 9090, target: 9090, proto: 'tcp' },
  { name: 'metrics', port: 9100, target: 9100, proto: 'tcp' },
  { name: 'http', port: 8080, target: 8080, proto: 'tcp' },
  { name: 'admin', port: 8081, target: 8081, proto: 'tcp' },
  { name: 'redis', port: 6379, target: 6379, proto: 'tcp' },
  { name: 'postgres', port: 5432, target: 5432, proto: 'tcp' },
  { name: 'syslog', port: 514, target: 5140, proto: 'udp' },
  { name: 'statsd', port: 8125, target: 8125, proto: 'udp' },
];

function ipv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function endpointCount(rng: Rng): number {
  // Tuned so 10k Services ≈ 30 MB / 360k lines. Most Services are small; a
  // tail of big Deployments carries most of the endpoint chains.
  const r = rng.next();
  if (r < 0.68) return rng.int(1, 5);
  if (r < 0.91) return rng.int(6, 13);
  if (r < 0.987) return rng.int(14, 30);
  return rng.int(31, 70);
}

function buildCluster(opts: GenOptions): Cluster {
  const n = Math.max(2, Math.floor(opts.services));
  const rng = makeRng(opts.seed ?? 1);

  const usedIPs = new Set<number>();
  const clusterIP = (): string => {
    // 10.96.0.0/12, as the default service-cluster-ip-range.
    for (;;) {
      const v = (((10 << 24) | (96 << 16)) >>> 0) + rng.int(2, (1 << 20) - 2);
      if ((v & 255) === 0 || (v & 255) === 255 || usedIPs.has(v)) continue;
      usedIPs.add(v);
      return ipv4(v);
    }
  };
  usedIPs.add(((10 << 24) | (96 << 16) | 1) >>> 0);
  usedIPs.add(((10 << 24) | (96 << 16) | 10) >>> 0);

  const usedLB = new Set<number>();
  const lbIP = (): string => {
    // 198.18.0.0/15 (benchmarking range) stands in for cloud LB addresses.
    for (;;) {
      const v = (((198 << 24) | (18 << 16)) >>> 0) + rng.int(1, (1 << 17) - 2);
      if ((v & 255) === 0 || (v & 255) === 255 || usedLB.has(v)) continue;
      usedLB.add(v);
      return ipv4(v);
    }
  };

  const freeNodePorts: number[] = [];
  for (let p = 30000; p <= 32767; p++) freeNodePorts.push(p);
  rng.shuffle(freeNodePorts);
  const nodePort = (): number => freeNodePorts.pop() ?? 0;

  const podIP = (local: boolean): string => {
    // Cluster CIDR 10.244.0.0/16, one /24 per node; this node has 10.244.0.0/24.
    const third = local ? 0 : rng.int(1, 255);
    return `10.244.${third}.${rng.int(2, 254)}`;
  };

  const makeEndpoints = (count: number, targets: number[], localShare: number): Endpoint[][] => {
    const ips = new Set<string>();
    const chosen: { ip: string; local: boolean }[] = [];
    let guard = 0;
    while (chosen.length < count && guard++ < count * 20) {
      const local = rng.chance(localShare);
      const ip = podIP(local);
      if (ips.has(ip)) continue;
      ips.add(ip);
      chosen.push({ ip, local: ip.startsWith('10.244.0.') });
    }
    return targets.map((port) => {
      const eps = chosen.map((c) => ({ ip: c.ip, port, local: c.local }));
      // kube-proxy sorts endpoints bytewise by "ip:port".
      eps.sort((a, b) => {
        const x = `${a.ip}:${a.port}`;
        const y = `${b.ip}:${b.port}`;
        return x < y ? -1 : x > y ? 1 : 0;
      });
      return eps;
    });
  };

  const services: Service[] = [];
  const names = new Set<string>();
  const stats: GenStats = {
    services: 0,
    servicePorts: 0,
    endpointChains: 0,
    noEndpoints: 0,
    nodePort: 0,
    loadBalancer: 0,
    sourceRanges: 0,
    etpLocal: 0,
    affinity: 0,
    multiPort: 0,
    externalIPs: 0,
    largeClusterMode: false,
  };

  const addService = (
    s: Omit<Service, 'ports'>,
    ports: { name: string; port: number; target: number; proto: 'tcp' | 'udp' }[],
    epCount: number,
    localShare: number,
  ): Service => {
    const svc: Service = { ...s, ports: [] };
    const eps = makeEndpoints(
      epCount,
      ports.map((p) => p.target),
      localShare,
    );
    ports.forEach((p, i) => {
      const np = svc.type === 'ClusterIP' ? 0 : nodePort();
      const spn = `${s.ns}/${s.name}${p.name === '' ? '' : `:${p.name}`}`;
      svc.ports.push({ name: spn, proto: p.proto, port: p.port, nodePort: np, endpoints: eps[i], svc });
    });
    services.push(svc);
    return svc;
  };
  const base = (ns: string, name: string, ip: string): Omit<Service, 'ports'> => ({
    ns,
    name,
    clusterIP: ip,
    type: 'ClusterIP',
    lbIPs: [],
    sourceRanges: [],
    externalIPs: [],
    etpLocal: false,
    affinitySeconds: 0,
    healthCheckNodePort: 0,
  });

  // The two every cluster has.
  addService(
    base('default', 'kubernetes', '10.96.0.1'),
    [{ name: 'https', port: 443, target: 6443, proto: 'tcp' }],
    0,
    0,
  );
  services[0].ports[0].endpoints = [
    { ip: '192.168.0.2', port: 6443, local: false },
    { ip: '192.168.0.3', port: 6443, local: false },
    { ip: '192.168.0.4', port: 6443, local: false },
  ];
  addService(
    base('kube-system', 'kube-dns', '10.96.0.10'),
    [
      { name: 'dns', port: 53, target: 53, proto: 'udp' },
      { name: 'dns-tcp', port: 53, target: 53, proto: 'tcp' },
      { name: 'metrics', port: 9153, target: 9153, proto: 'tcp' },
    ],
    2,
    0,
  );

  // The worst Service: one ClusterIP port with 100 endpoints.
  const worstSvc = addService(
    base('storefront-prod', 'checkout-api', clusterIP()),
    [{ name: 'http', port: 8080, target: 8080, proto: 'tcp' }],
    100,
    0.004,
  );
  const worst = worstSvc.ports[0];

  const namespaces: string[] = [];
  const nsCount = Math.max(4, Math.round(n / 25));
  for (let i = 0; i < nsCount; i++) namespaces.push(`${rng.pick(TEAMS)}-${rng.pick(ENVS)}-${i}`);

  while (services.length < n) {
    const ns = rng.pick(namespaces);
    let name = `${rng.pick(WORDS)}${rng.pick(SUFFIXES)}`;
    while (names.has(`${ns}/${name}`)) name = `${rng.pick(WORDS)}-${rng.int(1, 999)}`;
    names.add(`${ns}/${name}`);
    const s = base(ns, name, clusterIP());

    const r = rng.next();
    if (r < 0.05 && freeNodePorts.length > 8) s.type = 'NodePort';
    else if (r < 0.09 && freeNodePorts.length > 8) {
      s.type = 'LoadBalancer';
      s.lbIPs = [lbIP()];
      if (rng.chance(0.1)) s.lbIPs.push(lbIP());
      if (rng.chance(0.3)) {
        s.sourceRanges = rng.chance(0.3)
          ? ['203.0.113.0/25', '192.168.0.0/16']
          : [rng.pick(['203.0.113.0/25', '198.51.100.0/24', '100.64.0.0/10'])];
      }
    }
    if (s.type !== 'ClusterIP' && rng.chance(0.25)) s.etpLocal = true;
    if (s.type === 'LoadBalancer' && s.etpLocal) s.healthCheckNodePort = nodePort();
    if (s.type === 'ClusterIP' && rng.chance(0.006)) s.externalIPs = [`192.168.99.${rng.int(10, 250)}`];
    if (rng.chance(0.03)) s.affinitySeconds = rng.chance(0.7) ? 10800 : rng.pick([600, 3600]);

    // Ports: most Services have one; ~15% two or three.
    const ports: { name: string; port: number; target: number; proto: 'tcp' | 'udp' }[] = [];
    const np = rng.chance(0.15) ? rng.int(2, 3) : 1;
    const used = new Set<string>();
    while (ports.length < np) {
      const p = rng.pick(PORT_PRESETS);
      const key = `${p.port}/${p.proto}`;
      if (used.has(key) || ports.some((q) => q.name === p.name)) continue;
      used.add(key);
      ports.push({ ...p });
    }
    if (np === 1 && rng.chance(0.5)) ports[0].name = '';

    const epCount = rng.chance(0.02) ? 0 : endpointCount(rng);
    addService(s, ports, epCount, s.etpLocal ? 0.3 : 0.004);
  }

  // Stats, and kube-proxy's large-cluster switch (total endpoints > 1000).
  let total = 0;
  for (const s of services) {
    stats.services++;
    if (s.ports.length > 1) stats.multiPort++;
    if (s.type === 'NodePort') stats.nodePort++;
    if (s.type === 'LoadBalancer') stats.loadBalancer++;
    if (s.sourceRanges.length) stats.sourceRanges++;
    if (s.etpLocal) stats.etpLocal++;
    if (s.affinitySeconds) stats.affinity++;
    if (s.externalIPs.length) stats.externalIPs++;
    if (s.ports[0].endpoints.length === 0) stats.noEndpoints++;
    for (const p of s.ports) {
      stats.servicePorts++;
      total += p.endpoints.length;
      stats.endpointChains += p.endpoints.length;
    }
  }
  stats.largeClusterMode = total > 1000;
  return { services, worst, stats };
}

// ---- rendering in iptables-save form ----

function probability(n: number): string {
  // kube-proxy writes fmt.Sprintf("%0.10f", 1/n); the kernel keeps
  // lround(p * 2^31); iptables-save prints that / 2^31 with %.11f.
  const p = Number.parseFloat((1 / n).toFixed(10));
  const k = Math.round(p * 0x80000000);
  return (k / 0x80000000).toFixed(11);
}

/** xtables_save_string: bare if only [A-Za-z0-9_-], else quoted with \ escapes. */
function q(s: string): string {
  if (s !== '' && /^[A-Za-z0-9_-]+$/.test(s)) return s;
  return `"${s.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

function render(cluster: Cluster, opts: GenOptions): string {
  const nfacct = opts.nfacct ?? true;
  const date = opts.date ?? DEFAULT_DATE;
  const large = cluster.stats.largeClusterMode;

  const filter: Record<string, string[]> = {
    'KUBE-EXTERNAL-SERVICES': [],
    'KUBE-FIREWALL': [],
    'KUBE-FORWARD': [],
    'KUBE-KUBELET-CANARY': [],
    'KUBE-NODEPORTS': [],
    'KUBE-PROXY-CANARY': [],
    'KUBE-PROXY-FIREWALL': [],
    'KUBE-SERVICES': [],
  };
  const nat = new Map<string, string[]>();
  for (const c of [
    'KUBE-KUBELET-CANARY',
    'KUBE-MARK-MASQ',
    'KUBE-NODEPORTS',
    'KUBE-POSTROUTING',
    'KUBE-PROXY-CANARY',
    'KUBE-SERVICES',
  ]) {
    nat.set(c, []);
  }
  const natChain = (name: string): string[] => {
    let r = nat.get(name);
    if (!r) {
      r = [];
      nat.set(name, r);
    }
    return r;
  };

  filter['KUBE-FIREWALL'].push(
    '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
  );
  const natSvc = natChain('KUBE-SERVICES');
  const natNP = natChain('KUBE-NODEPORTS');
  const fSvc = filter['KUBE-SERVICES'];
  const fExt = filter['KUBE-EXTERNAL-SERVICES'];
  const fNP = filter['KUBE-NODEPORTS'];
  const fFw = filter['KUBE-PROXY-FIREWALL'];
  natChain('KUBE-POSTROUTING').push(
    `-A KUBE-POSTROUTING -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`,
    `-A KUBE-POSTROUTING -j MARK --set-xmark ${MASQ_MARK}/0x0`,
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  );
  natChain('KUBE-MARK-MASQ').push(`-A KUBE-MARK-MASQ -j MARK --set-xmark ${MASQ_MARK}/${MASQ_MARK}`);

  // The Go map: service ports come out in no particular order.
  const rng = makeRng(((opts.seed ?? 1) ^ 0x5bd1e995) >>> 0);
  const ports: SvcPort[] = [];
  for (const s of cluster.services) for (const p of s.ports) ports.push(p);
  rng.shuffle(ports);

  for (const sp of ports) {
    const svc = sp.svc;
    const S = sp.name;
    const proto = sp.proto;
    const hash = kubeHash(S + proto);
    const svcChain = `KUBE-SVC-${hash}`;
    const svlChain = `KUBE-SVL-${hash}`;
    const extChain = `KUBE-EXT-${hash}`;
    const fwChain = `KUBE-FW-${hash}`;
    const cip = `${svc.clusterIP}/32`;
    const dport = `-m ${proto} --dport ${sp.port}`;

    const externallyAccessible = sp.nodePort !== 0 || svc.lbIPs.length > 0 || svc.externalIPs.length > 0;
    const etpLocal = svc.etpLocal && externallyAccessible;
    const all = sp.endpoints;
    const local = all.filter((e) => e.local);
    const hasEndpoints = all.length > 0;
    const usesCluster = all.length > 0; // iTP=Cluster throughout
    const usesLocal = local.length > 0 && etpLocal;
    const hasExternalEndpoints = hasEndpoints && (!etpLocal || local.length > 0);
    const externalPolicyChain = etpLocal ? svlChain : svcChain;
    const usesExt = hasEndpoints && externallyAccessible;
    const usesFW = hasEndpoints && svc.lbIPs.length > 0 && svc.sourceRanges.length > 0;
    const lbChain = usesFW ? fwChain : extChain;
    const extFilterTarget = !hasEndpoints ? 'REJECT --reject-with icmp-port-unreachable' : 'DROP';
    const extFilterComment = !hasEndpoints ? q(`${S} has no endpoints`) : q(`${S} has no local endpoints`);

    // (a) cluster IP
    if (hasEndpoints) {
      natSvc.push(
        `-A KUBE-SERVICES -d ${cip} -p ${proto} -m comment --comment ${q(`${S} cluster IP`)} ${dport} -j ${svcChain}`,
      );
    } else {
      fSvc.push(
        `-A KUBE-SERVICES -d ${cip} -p ${proto} -m comment --comment ${q(`${S} has no endpoints`)} ${dport} -j REJECT --reject-with icmp-port-unreachable`,
      );
    }
    // (b) external IPs
    for (const eip of svc.externalIPs) {
      if (hasEndpoints) {
        natSvc.push(
          `-A KUBE-SERVICES -d ${eip}/32 -p ${proto} -m comment --comment ${q(`${S} external IP`)} ${dport} -j ${extChain}`,
        );
      }
      if (!hasExternalEndpoints) {
        fExt.push(
          `-A KUBE-EXTERNAL-SERVICES -d ${eip}/32 -p ${proto} -m comment --comment ${extFilterComment} ${dport} -j ${extFilterTarget}`,
        );
      }
    }
    // (c) load balancer IPs
    for (const lb of svc.lbIPs) {
      if (hasEndpoints) {
        natSvc.push(
          `-A KUBE-SERVICES -d ${lb}/32 -p ${proto} -m comment --comment ${q(`${S} loadbalancer IP`)} ${dport} -j ${lbChain}`,
        );
      }
      if (usesFW) {
        fFw.push(
          `-A KUBE-PROXY-FIREWALL -d ${lb}/32 -p ${proto} -m comment --comment ${q(`${S} traffic not accepted by ${fwChain}`)} ${dport} -j DROP`,
        );
      }
    }
    if (!hasExternalEndpoints) {
      for (const lb of svc.lbIPs) {
        fExt.push(
          `-A KUBE-EXTERNAL-SERVICES -d ${lb}/32 -p ${proto} -m comment --comment ${extFilterComment} ${dport} -j ${extFilterTarget}`,
        );
      }
    }
    // (d) node ports
    if (sp.nodePort !== 0) {
      if (hasEndpoints) {
        if (nfacct) {
          natNP.push(
            `-A KUBE-NODEPORTS -d 127.0.0.0/8 -p ${proto} -m comment --comment ${q(S)} -m ${proto} --dport ${sp.nodePort} -m nfacct --nfacct-name  localhost_nps_accepted_pkts -j ${extChain}`,
          );
        }
        natNP.push(
          `-A KUBE-NODEPORTS -p ${proto} -m comment --comment ${q(S)} -m ${proto} --dport ${sp.nodePort} -j ${extChain}`,
        );
      }
      if (!hasExternalEndpoints) {
        fExt.push(
          `-A KUBE-EXTERNAL-SERVICES -p ${proto} -m comment --comment ${extFilterComment} -m addrtype --dst-type LOCAL -m ${proto} --dport ${sp.nodePort} -j ${extFilterTarget}`,
        );
      }
    }
    // (e) health check node port
    if (svc.healthCheckNodePort !== 0) {
      fNP.push(
        `-A KUBE-NODEPORTS -p tcp -m comment --comment ${q(`${S} health check node port`)} -m tcp --dport ${svc.healthCheckNodePort} -j ACCEPT`,
      );
    }
    if (!hasEndpoints) continue;

    // (f) internal masquerade, in the internal chain (KUBE-SVC: iTP=Cluster)
    const svcRules = natChain(svcChain);
    svcRules.push(
      `-A ${svcChain} ! -s ${CLUSTER_CIDR} -d ${cip} -p ${proto} -m comment --comment ${q(`${S} cluster IP`)} ${dport} -j KUBE-MARK-MASQ`,
    );
    // (g) KUBE-EXT
    if (usesExt) {
      const ext = natChain(extChain);
      if (!etpLocal) {
        ext.push(
          `-A ${extChain} -m comment --comment ${q(`masquerade traffic for ${S} external destinations`)} -j KUBE-MARK-MASQ`,
        );
      } else {
        ext.push(
          `-A ${extChain} -s ${CLUSTER_CIDR} -m comment --comment ${q(`pod traffic for ${S} external destinations`)} -j ${svcChain}`,
          `-A ${extChain} -m comment --comment ${q(`masquerade LOCAL traffic for ${S} external destinations`)} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
          `-A ${extChain} -m comment --comment ${q(`route LOCAL traffic for ${S} external destinations`)} -m addrtype --src-type LOCAL -j ${svcChain}`,
        );
      }
      if (hasExternalEndpoints) ext.push(`-A ${extChain} -j ${externalPolicyChain}`);
    }
    // (h) KUBE-FW
    if (usesFW) {
      const fw = natChain(fwChain);
      const c = q(`${S} loadbalancer IP`);
      let allowFromNode = false;
      for (const r of svc.sourceRanges) {
        fw.push(`-A ${fwChain} -s ${r} -m comment --comment ${c} -j ${extChain}`);
        if (r === '192.168.0.0/16') allowFromNode = true;
      }
      if (allowFromNode)
        for (const lb of svc.lbIPs) fw.push(`-A ${fwChain} -s ${lb}/32 -m comment --comment ${c} -j ${extChain}`);
      fw.push(
        `-A ${fwChain} -m comment --comment ${q(`other traffic to ${S} will be dropped by KUBE-PROXY-FIREWALL`)}`,
      );
    }
    // (i) KUBE-SVC / KUBE-SVL → endpoints
    const sepName = (e: Endpoint) => `KUBE-SEP-${kubeHash(`${S}${proto}${e.ip}:${e.port}`)}`;
    const toEndpoints = (chain: string, rules: string[], eps: Endpoint[]) => {
      const cm = (e: Endpoint) => (large ? '' : ` -m comment --comment ${q(`${S} -> ${e.ip}:${e.port}`)}`);
      if (svc.affinitySeconds) {
        for (const e of eps) {
          const sep = sepName(e);
          rules.push(
            `-A ${chain}${cm(e)} -m recent --rcheck --seconds ${svc.affinitySeconds} --reap --name ${sep} --mask 255.255.255.255 --rsource -j ${sep}`,
          );
        }
      }
      eps.forEach((e, i) => {
        const stat =
          i < eps.length - 1 ? ` -m statistic --mode random --probability ${probability(eps.length - i)}` : '';
        rules.push(`-A ${chain}${cm(e)}${stat} -j ${sepName(e)}`);
      });
    };
    if (usesCluster) toEndpoints(svcChain, svcRules, all);
    if (usesLocal) toEndpoints(svlChain, natChain(svlChain), local);
    // (j) KUBE-SEP
    for (const e of all) {
      const sep = sepName(e);
      const cm = large ? '' : ` -m comment --comment ${q(S)}`;
      const recent = svc.affinitySeconds ? ` -m recent --set --name ${sep} --mask 255.255.255.255 --rsource` : '';
      natChain(sep).push(
        `-A ${sep} -s ${e.ip}/32${cm} -j KUBE-MARK-MASQ`,
        `-A ${sep} -p ${proto}${cm}${recent} -m ${proto} -j DNAT --to-destination ${e.ip}:${e.port}`,
      );
    }
  }
  natSvc.push(
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
  );
  filter['KUBE-FORWARD'].push(
    nfacct
      ? '-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name  ct_state_invalid_dropped_pkts -j DROP'
      : '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  );

  // ---- assemble, as iptables-nft-save orders it: mangle, filter, nat ----
  const out: string[] = [];
  const gen = `# Generated by iptables-nft-save v1.8.9 (nf_tables) on ${date}`;
  const done = `# Completed on ${date}`;
  const table = (name: string, builtins: string[], builtinRules: string[], chains: Map<string, string[]>) => {
    out.push(gen, `*${name}`);
    for (const b of builtins) out.push(`:${b} ACCEPT [0:0]`);
    const names = [...chains.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const c of names) out.push(`:${c} - [0:0]`);
    for (const r of builtinRules) out.push(r);
    for (const c of names) for (const r of chains.get(c) as string[]) out.push(r);
    out.push('COMMIT', done);
  };

  table(
    'mangle',
    ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
    [],
    new Map([
      ['KUBE-IPTABLES-HINT', []],
      ['KUBE-KUBELET-CANARY', []],
      ['KUBE-PROXY-CANARY', []],
    ]),
  );
  // Jump rules: kubelet's -j KUBE-FIREWALL first, then kube-proxy prepends its
  // own in order, so they read back reversed.
  const ctNew = '-m conntrack --ctstate NEW -m comment --comment';
  table(
    'filter',
    ['INPUT', 'FORWARD', 'OUTPUT'],
    [
      `-A INPUT ${ctNew} "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`,
      '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
      `-A INPUT ${ctNew} "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES`,
      '-A INPUT -j KUBE-FIREWALL',
      `-A FORWARD ${ctNew} "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`,
      '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
      `-A FORWARD ${ctNew} "kubernetes service portals" -j KUBE-SERVICES`,
      `-A FORWARD ${ctNew} "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES`,
      `-A OUTPUT ${ctNew} "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`,
      `-A OUTPUT ${ctNew} "kubernetes service portals" -j KUBE-SERVICES`,
      '-A OUTPUT -j KUBE-FIREWALL',
    ],
    new Map(Object.entries(filter)),
  );
  table(
    'nat',
    ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
    [
      '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    ],
    nat,
  );
  out.push('');
  return out.join('\n');
}

// ---- public API ----

const clusterCache = new Map<string, Cluster>();
function cluster(opts: GenOptions): Cluster {
  const key = `${opts.services}/${opts.seed ?? 1}`;
  let c = clusterCache.get(key);
  if (!c) {
    c = buildCluster(opts);
    clusterCache.clear();
    clusterCache.set(key, c);
  }
  return c;
}

/** What `iptables-nft-save` prints on a kube-proxy node with `services` Services. */
export function generateKubeProxyDump(opts: GenOptions): string {
  return render(cluster(opts), opts);
}

/** The Service port with the most endpoints (100): the heaviest single trace. */
export function worstService(opts: GenOptions): WorstService {
  const w = cluster(opts).worst;
  return {
    name: w.name,
    ip: w.svc.clusterIP,
    port: w.port,
    proto: w.proto,
    endpoints: w.endpoints.length,
    chain: `KUBE-SVC-${kubeHash(w.name + w.proto)}`,
  };
}

export function generatorStats(opts: GenOptions): GenStats {
  return { ...cluster(opts).stats };
}
