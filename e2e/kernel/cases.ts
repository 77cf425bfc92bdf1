// The kernel proof's cases: per dump, a topology and packets, each named after
// what it exercises. Source ports are assigned by the suite (fresh per packet).

import type { FinalVerdict, NodeContext, Origin } from '../../src/model';
import { kubeClusterServices, kubeLbServices, kubeV6Services } from './fixtures-gen/dumps';
import type { ServicePort } from './fixtures-gen/kube-proxy';
import { sepChain, servicePortName } from './fixtures-gen/kube-proxy';
import { generatedDumps } from './generated';
import { ipsetEdges, kubeIpvs } from './ipvs-cases';
import { type TopologySpec, topologySpec } from './netns';
import { targetEdges } from './target-cases';

export interface KernelCase {
  name: string;
  origin: Origin;
  proto: 'tcp' | 'udp';
  src: string;
  dst: string;
  dport: number;
  /** A fixed source port (for --sport matches); otherwise a fresh one per packet. Only without repeat. */
  sport?: number;
  /** SO_MARK on the sending socket (local origin): the packet's mark entering OUTPUT. */
  mark?: number;
  /** Send this many first packets, each from a fresh source port (statistic rules). */
  repeat?: number;
  /** `-m recent` entries present before the packet (seeded in the kernel and given to the simulator). */
  recent?: Record<string, string[]>;
  /** The path sets `-m recent` entries (ClientIP affinity): packets go one at a time, lists reset before each. */
  affinity?: boolean;
  /**
   * What the kernel must show, independent of the simulator: checks that the
   * harness and the fixture do what the case's name says.
   */
  expect?: {
    verdict?: FinalVerdict;
    /** Final destination `ip:port`; with repeat, every one of these must be seen. */
    dst?: string | string[];
    /** Final source address. */
    src?: string;
    legs?: number;
  };
}

export interface DumpSpec {
  name: string;
  /** File under fixtures/kernel, or where `text` came from. */
  fixture: string;
  /** `ipset save` file under fixtures/kernel, restored in the node namespace and given to the simulator. */
  ipsets?: string;
  /** The dump itself, when it is generated rather than a file (generated.ts). */
  text?: string;
  /**
   * Milliseconds between repeated sends (default 3). Dumps with long paths print many trace
   * events per packet; sent too fast, xtables-monitor's netlink socket overflows (ENOBUFS).
   */
  gapMs?: number;
  topology: Partial<TopologySpec>;
  /** Overrides of the simulator's node context beyond what the topology implies. */
  ctx?: Partial<NodeContext>;
  cases: KernelCase[];
}

const NODE = '192.168.0.2';
const CLIENT = '192.168.0.1';
const POD = '10.244.0.5';

/** One case per origin and address of a Service port (ClusterIP, NodePort, LB IPs, external IPs). */
function serviceCases(
  sp: ServicePort,
  from: Array<{ origin: Origin; src: string }>,
  only?: Array<'cluster' | 'nodeport' | 'nodeport-lo' | 'lb' | 'external'>,
  hosts: { node: string; lo: string } = { node: NODE, lo: '127.0.0.1' },
): KernelCase[] {
  const S = servicePortName(sp);
  const n = sp.endpoints.length;
  const repeat = n > 1 ? (n > 2 ? 30 : 20) : undefined;
  const dsts: Array<{ kind: 'cluster' | 'nodeport' | 'nodeport-lo' | 'lb' | 'external'; dst: string; dport: number }> =
    [{ kind: 'cluster', dst: sp.clusterIP, dport: sp.port }];
  if (sp.nodePort) {
    dsts.push({ kind: 'nodeport', dst: hosts.node, dport: sp.nodePort });
    dsts.push({ kind: 'nodeport-lo', dst: hosts.lo, dport: sp.nodePort });
  }
  for (const lb of sp.loadBalancerIPs ?? []) dsts.push({ kind: 'lb', dst: lb, dport: sp.port });
  for (const e of sp.externalIPs ?? []) dsts.push({ kind: 'external', dst: e, dport: sp.port });
  const out: KernelCase[] = [];
  for (const d of dsts) {
    if (only && !only.includes(d.kind)) continue;
    for (const f of from) {
      // 127.0.0.1 is only reachable from the node itself.
      if (d.kind === 'nodeport-lo' && f.origin !== 'local') continue;
      const label = {
        cluster: 'ClusterIP',
        nodeport: 'NodePort',
        'nodeport-lo': 'localhost NodePort',
        lb: 'LoadBalancer IP',
        external: 'external IP',
      }[d.kind];
      out.push({
        name: `${f.origin} ${f.src} → ${S} ${label} ${d.dst}:${d.dport}/${sp.proto} (${n} endpoint${n === 1 ? '' : 's'})`,
        origin: f.origin,
        proto: sp.proto,
        src: f.src,
        dst: d.dst,
        dport: d.dport,
        repeat,
      });
    }
  }
  return out;
}

const svc = (list: ServicePort[], name: string, portName?: string) => {
  const s = list.find((x) => x.name === name && (portName === undefined || x.portName === portName));
  if (!s) throw new Error(`no service ${name}`);
  return s;
};

// ---- kube-cluster: kube-proxy (random-fully) + kubelet + flannel ----

const kc = (name: string, portName?: string) => svc(kubeClusterServices, name, portName);
const podA = { origin: 'pod' as const, src: POD };
const podB = { origin: 'pod' as const, src: '10.244.0.6' };
const ext = { origin: 'external' as const, src: CLIENT };
const extFar = { origin: 'external' as const, src: '203.0.113.7' };
const localNode = { origin: 'local' as const, src: NODE };
const localLo = { origin: 'local' as const, src: '127.0.0.1' };
const localBridge = { origin: 'local' as const, src: '10.244.0.1' };

const api = kc('api');
const apiSep = (ip: string) => {
  const e = api.endpoints.find((x) => x.ip === ip);
  if (!e) throw new Error(ip);
  return sepChain(api, e);
};

const kubeCluster: DumpSpec = {
  name: 'kube-cluster',
  fixture: 'kube-cluster.rules',
  topology: { clientAddrs: ['203.0.113.7'], podAddrs: ['10.244.0.6'] },
  cases: [
    ...serviceCases(kc('kubernetes'), [podA, ext, localNode, localBridge]),
    ...serviceCases(kc('kube-dns', 'dns'), [podA, podB, ext, localNode]),
    ...serviceCases(kc('kube-dns', 'dns-tcp'), [podA, localNode]),
    ...serviceCases(kc('kube-dns', 'metrics'), [podA, ext]),
    ...serviceCases(kc('web'), [podA, podB, ext, extFar, localNode, localLo]),
    ...serviceCases(kc('empty'), [podA, ext, localNode, localLo]),
    ...serviceCases(kc('local-only'), [podA, ext, localNode]),
    ...serviceCases(kc('local-none'), [podA, ext, localNode]),
    ...serviceCases(kc('syslog'), [podA, ext, localNode, localLo]),
    ...serviceCases(kc('node-exporter'), [podA, podB, ext, localNode, localLo]),
    {
      name: 'local 192.168.0.2 → localhost NodePort 127.0.0.1:30080 from the node address (route_localnet)',
      origin: 'local',
      proto: 'tcp',
      src: NODE,
      dst: '127.0.0.1',
      dport: 30080,
      repeat: 30,
    },
    // ClientIP affinity: no entry (random), an entry for either endpoint, an entry for someone else.
    {
      name: 'pod → default/api:grpc ClusterIP, ClientIP affinity, no recent entry (statistic)',
      origin: 'pod',
      proto: 'tcp',
      src: POD,
      dst: api.clusterIP,
      dport: api.port,
      affinity: true,
      repeat: 20,
    },
    {
      name: 'pod → default/api:grpc ClusterIP, recent entry for 10.244.1.8 (rcheck sticks)',
      origin: 'pod',
      proto: 'tcp',
      src: POD,
      dst: api.clusterIP,
      dport: api.port,
      affinity: true,
      recent: { [apiSep('10.244.1.8')]: [POD] },
      expect: { dst: '10.244.1.8:9000' },
    },
    {
      name: 'pod → default/api:grpc ClusterIP, recent entry for 10.244.2.4 (second rcheck rule)',
      origin: 'pod',
      proto: 'tcp',
      src: POD,
      dst: api.clusterIP,
      dport: api.port,
      affinity: true,
      recent: { [apiSep('10.244.2.4')]: [POD] },
      expect: { dst: '10.244.2.4:9000' },
    },
    {
      name: 'pod → default/api:grpc ClusterIP, recent entry belongs to another client (statistic)',
      origin: 'pod',
      proto: 'tcp',
      src: POD,
      dst: api.clusterIP,
      dport: api.port,
      affinity: true,
      repeat: 20,
      recent: { [apiSep('10.244.2.4')]: ['10.244.0.6'] },
    },
    {
      name: 'external → default/api:grpc ClusterIP, recent entry for the client (masquerade mark, then affinity)',
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: api.clusterIP,
      dport: api.port,
      affinity: true,
      recent: { [apiSep('10.244.2.4')]: [CLIENT] },
      expect: { dst: '10.244.2.4:9000', src: NODE },
    },
    {
      name: 'local → default/api:grpc ClusterIP, recent entry for the node address',
      origin: 'local',
      proto: 'tcp',
      src: NODE,
      dst: api.clusterIP,
      dport: api.port,
      affinity: true,
      recent: { [apiSep('10.244.1.8')]: [NODE] },
      expect: { dst: '10.244.1.8:9000' },
    },
    {
      name: 'local → default/api:grpc ClusterIP, no recent entry (statistic)',
      origin: 'local',
      proto: 'tcp',
      src: NODE,
      dst: api.clusterIP,
      dport: api.port,
      affinity: true,
      repeat: 20,
    },
    // Not Services at all.
    {
      name: 'pod → remote pod 10.244.1.7:8080 directly (flannel forward, no masquerade)',
      origin: 'pod',
      proto: 'tcp',
      src: POD,
      dst: '10.244.1.7',
      dport: 8080,
      expect: { dst: '10.244.1.7:8080', src: POD },
    },
    {
      name: 'pod → internet 8.8.8.8:53/udp (flannel MASQUERADE --random-fully)',
      origin: 'pod',
      proto: 'udp',
      src: POD,
      dst: '8.8.8.8',
      dport: 53,
      expect: { src: NODE },
    },
    {
      name: 'pod → internet 1.1.1.1:443/tcp (flannel MASQUERADE --random-fully)',
      origin: 'pod',
      proto: 'tcp',
      src: POD,
      dst: '1.1.1.1',
      dport: 443,
      expect: { src: NODE },
    },
    {
      name: 'external → local pod 10.244.0.6:9100 directly (flannel forward)',
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: '10.244.0.6',
      dport: 9100,
      expect: { dst: '10.244.0.6:9100', src: CLIENT },
    },
    {
      name: 'external → node 192.168.0.2:22 (not a service: INPUT)',
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: NODE,
      dport: 22,
      expect: { verdict: 'ACCEPT', dst: `${NODE}:22` },
    },
    {
      name: 'external → node 192.168.0.2:10250/tcp kubelet',
      origin: 'external',
      proto: 'tcp',
      src: extFar.src,
      dst: NODE,
      dport: 10250,
    },
    {
      name: 'pod → node 192.168.0.2:10250 kubelet (INPUT from cni0)',
      origin: 'pod',
      proto: 'tcp',
      src: POD,
      dst: NODE,
      dport: 10250,
    },
    {
      name: 'pod → bridge address 10.244.0.1:53/udp',
      origin: 'pod',
      proto: 'udp',
      src: POD,
      dst: '10.244.0.1',
      dport: 53,
    },
    {
      name: 'local → local 192.168.0.2:10250 (lo leg)',
      origin: 'local',
      proto: 'tcp',
      src: NODE,
      dst: NODE,
      dport: 10250,
      expect: { legs: 2 },
    },
    {
      name: 'local → local 127.0.0.1:10248 (lo leg)',
      origin: 'local',
      proto: 'tcp',
      src: '127.0.0.1',
      dst: '127.0.0.1',
      dport: 10248,
      expect: { legs: 2 },
    },
    {
      name: 'local → local 127.0.0.1:53/udp (lo leg)',
      origin: 'local',
      proto: 'udp',
      src: '127.0.0.1',
      dst: '127.0.0.1',
      dport: 53,
      expect: { legs: 2 },
    },
    {
      name: 'local → remote pod 10.244.2.9:8080 directly',
      origin: 'local',
      proto: 'tcp',
      src: NODE,
      dst: '10.244.2.9',
      dport: 8080,
    },
    {
      name: 'local → local pod 10.244.0.6:9100 directly',
      origin: 'local',
      proto: 'tcp',
      src: NODE,
      dst: '10.244.0.6',
      dport: 9100,
    },
    { name: 'local → internet 8.8.8.8:53/udp', origin: 'local', proto: 'udp', src: NODE, dst: '8.8.8.8', dport: 53 },
    {
      name: 'external → ClusterIP port that is not a service port 10.96.0.10:80',
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: '10.96.0.10',
      dport: 80,
    },
    {
      name: 'pod → unknown ClusterIP 10.96.99.99:80 (no rule: forwarded to the default route)',
      origin: 'pod',
      proto: 'tcp',
      src: POD,
      dst: '10.96.99.99',
      dport: 80,
    },
  ],
};

// ---- kube-lb: LoadBalancer, source ranges, externalIPs, eTP Local; FORWARD policy DROP ----

const kl = (name: string) => svc(kubeLbServices, name);
const inRange = { origin: 'external' as const, src: '198.51.100.7' };
const inRange2 = { origin: 'external' as const, src: '203.0.113.200' };
const outOfRange = { origin: 'external' as const, src: '198.18.0.9' };
const podC = { origin: 'pod' as const, src: '10.244.0.7' };

const kubeLb: DumpSpec = {
  name: 'kube-lb',
  fixture: 'kube-lb.rules',
  topology: {
    clientAddrs: ['198.51.100.7', '203.0.113.200', '198.18.0.9'],
    podAddrs: ['10.244.0.6', '10.244.0.7'],
    nodeExtraIPs: ['192.168.0.3'],
  },
  cases: [
    ...serviceCases(kl('shop'), [ext, podA, localNode]),
    ...serviceCases(kl('shop'), [localLo], ['nodeport-lo']),
    ...serviceCases(kl('admin'), [inRange, inRange2, outOfRange, podA, localNode], ['lb']),
    ...serviceCases(kl('admin'), [ext, podA], ['cluster', 'nodeport']),
    ...serviceCases(kl('edge'), [ext, podA, podC, localNode], ['lb', 'nodeport', 'cluster']),
    ...serviceCases(kl('edge'), [localLo], ['nodeport-lo']),
    ...serviceCases(kl('edge-remote'), [ext, podA, localNode], ['lb', 'nodeport', 'cluster']),
    ...serviceCases(kl('ext'), [ext, podA, localNode]),
    ...serviceCases(kl('ext-local'), [ext, podA, localNode]),
    ...serviceCases(kl('ext-empty'), [ext, podA, localNode]),
    ...serviceCases(kl('lb-empty'), [ext, podA, localNode], ['lb', 'nodeport', 'cluster']),
    ...serviceCases(kl('quake'), [ext, podA, localNode], ['lb', 'nodeport', 'cluster']),
    {
      name: 'external → shop NodePort on the second node address 192.168.0.3:31080 (LOCAL; MASQUERADE picks the primary)',
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: '192.168.0.3',
      dport: 31080,
      repeat: 20,
    },
    {
      name: 'pod → shop NodePort on the second node address 192.168.0.3:31080',
      origin: 'pod',
      proto: 'tcp',
      src: POD,
      dst: '192.168.0.3',
      dport: 31080,
      repeat: 20,
    },
    {
      name: 'local from the second node address 192.168.0.3 → shop ClusterIP 10.96.20.10:80',
      origin: 'local',
      proto: 'tcp',
      src: '192.168.0.3',
      dst: '10.96.20.10',
      dport: 80,
      repeat: 20,
    },
    {
      name: 'local 192.168.0.3 → edge NodePort 192.168.0.3:31180 (eTP Local, src-type LOCAL)',
      origin: 'local',
      proto: 'tcp',
      src: '192.168.0.3',
      dst: '192.168.0.3',
      dport: 31180,
      repeat: 20,
    },
    {
      name: 'external → node second address 192.168.0.3:22',
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: '192.168.0.3',
      dport: 22,
    },
    {
      name: 'external → edge health check node port 192.168.0.2:32000 (filter KUBE-NODEPORTS ACCEPT)',
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: NODE,
      dport: 32000,
      expect: { verdict: 'ACCEPT' },
    },
    {
      name: 'external → edge-remote health check node port 192.168.0.2:32001',
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: NODE,
      dport: 32001,
    },
    {
      name: 'external → pod 10.244.1.12:8080 directly (unmarked: FORWARD policy DROP)',
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: '10.244.1.12',
      dport: 8080,
      expect: { verdict: 'DROP' },
    },
    {
      name: 'pod → remote pod 10.244.1.12:8080 directly (cni egress accept)',
      origin: 'pod',
      proto: 'tcp',
      src: POD,
      dst: '10.244.1.12',
      dport: 8080,
      expect: { verdict: 'ACCEPT' },
    },
    {
      name: 'external → unknown LB-range address 203.0.113.99:80 (forwarded, FORWARD policy DROP)',
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: '203.0.113.99',
      dport: 80,
      expect: { verdict: 'DROP' },
    },
    {
      name: 'external in range → admin LoadBalancer IP on a port it does not serve 203.0.113.20:80',
      origin: 'external',
      proto: 'tcp',
      src: '198.51.100.7',
      dst: '203.0.113.20',
      dport: 80,
    },
  ],
};

// ---- docker: a Docker host (docker0 is the container bridge) ----

const CT = '172.17.0.2';
const dockerCases: KernelCase[] = [
  {
    name: 'external → published port 192.168.0.2:8080 (DNAT to container 172.17.0.2:80, DOCKER ACCEPT)',
    origin: 'external',
    proto: 'tcp',
    src: CLIENT,
    dst: NODE,
    dport: 8080,
    expect: { dst: `${CT}:80`, verdict: 'ACCEPT' },
  },
  {
    name: 'external 203.0.113.66 → published port (DOCKER-USER DROP)',
    origin: 'external',
    proto: 'tcp',
    src: '203.0.113.66',
    dst: NODE,
    dport: 8080,
    expect: { verdict: 'DROP' },
  },
  {
    name: 'external 203.0.113.5 → published port (DOCKER-USER RETURN)',
    origin: 'external',
    proto: 'tcp',
    src: '203.0.113.5',
    dst: NODE,
    dport: 8080,
  },
  {
    name: 'external → published udp port 192.168.0.2:5353 (DNAT to 172.17.0.3)',
    origin: 'external',
    proto: 'udp',
    src: CLIENT,
    dst: NODE,
    dport: 5353,
    expect: { dst: '172.17.0.3:5353' },
  },
  {
    name: 'external → node 192.168.0.2:22 (no DNAT: INPUT)',
    origin: 'external',
    proto: 'tcp',
    src: CLIENT,
    dst: NODE,
    dport: 22,
  },
  {
    name: 'external → node 192.168.0.2:8081 (unpublished)',
    origin: 'external',
    proto: 'tcp',
    src: CLIENT,
    dst: NODE,
    dport: 8081,
  },
  {
    name: 'external → container 172.17.0.2:80 directly (DOCKER ACCEPT without DNAT)',
    origin: 'external',
    proto: 'tcp',
    src: CLIENT,
    dst: CT,
    dport: 80,
    expect: { verdict: 'ACCEPT' },
  },
  {
    name: 'external → container 172.17.0.2:22 directly (FORWARD policy DROP)',
    origin: 'external',
    proto: 'tcp',
    src: CLIENT,
    dst: CT,
    dport: 22,
    expect: { verdict: 'DROP' },
  },
  {
    name: 'external → container 172.17.0.3:5353/udp directly',
    origin: 'external',
    proto: 'udp',
    src: CLIENT,
    dst: '172.17.0.3',
    dport: 5353,
  },
  {
    name: 'external 203.0.113.66 → container 172.17.0.2:80 directly (DOCKER-USER DROP)',
    origin: 'external',
    proto: 'tcp',
    src: '203.0.113.66',
    dst: CT,
    dport: 80,
  },
  {
    name: 'container → internet 8.8.8.8:53/udp (MASQUERADE ! -o docker0)',
    origin: 'pod',
    proto: 'udp',
    src: CT,
    dst: '8.8.8.8',
    dport: 53,
    expect: { src: NODE },
  },
  {
    name: 'container → internet 1.1.1.1:443/tcp (isolation stage 1 → 2 → RETURN)',
    origin: 'pod',
    proto: 'tcp',
    src: CT,
    dst: '1.1.1.1',
    dport: 443,
    expect: { src: NODE },
  },
  { name: 'container → external client 192.168.0.1:80', origin: 'pod', proto: 'tcp', src: CT, dst: CLIENT, dport: 80 },
  {
    name: 'container → its own published port via node IP 192.168.0.2:8080 (-i docker0 RETURN: INPUT)',
    origin: 'pod',
    proto: 'tcp',
    src: CT,
    dst: NODE,
    dport: 8080,
  },
  {
    name: 'container 172.17.0.3 → published port via node IP 192.168.0.2:8080',
    origin: 'pod',
    proto: 'tcp',
    src: '172.17.0.3',
    dst: NODE,
    dport: 8080,
  },
  {
    name: 'container → bridge address 172.17.0.1:53/udp',
    origin: 'pod',
    proto: 'udp',
    src: CT,
    dst: '172.17.0.1',
    dport: 53,
  },
  { name: 'container → node 192.168.0.2:22', origin: 'pod', proto: 'tcp', src: CT, dst: NODE, dport: 22 },
  {
    name: 'local → published port 192.168.0.2:8080 (OUTPUT DOCKER DNAT)',
    origin: 'local',
    proto: 'tcp',
    src: NODE,
    dst: NODE,
    dport: 8080,
    expect: { dst: `${CT}:80` },
  },
  {
    name: 'local → published udp port 192.168.0.2:5353',
    origin: 'local',
    proto: 'udp',
    src: NODE,
    dst: NODE,
    dport: 5353,
  },
  {
    name: 'local → 127.0.0.1:8080 (! -d 127.0.0.0/8: no DNAT, lo leg)',
    origin: 'local',
    proto: 'tcp',
    src: '127.0.0.1',
    dst: '127.0.0.1',
    dport: 8080,
    expect: { legs: 2 },
  },
  {
    name: 'local → bridge address 172.17.0.1:8080 (LOCAL: DOCKER DNAT)',
    origin: 'local',
    proto: 'tcp',
    src: NODE,
    dst: '172.17.0.1',
    dport: 8080,
  },
  { name: 'local → container 172.17.0.2:80 directly', origin: 'local', proto: 'tcp', src: NODE, dst: CT, dport: 80 },
  {
    name: 'local from the bridge address 172.17.0.1 → container 172.17.0.2:80',
    origin: 'local',
    proto: 'tcp',
    src: '172.17.0.1',
    dst: CT,
    dport: 80,
  },
  { name: 'local → internet 8.8.8.8:53/udp', origin: 'local', proto: 'udp', src: NODE, dst: '8.8.8.8', dport: 53 },
  {
    name: 'local → node 192.168.0.2:22 (lo leg)',
    origin: 'local',
    proto: 'tcp',
    src: NODE,
    dst: NODE,
    dport: 22,
    expect: { legs: 2 },
  },
  {
    name: 'external → bridge address 172.17.0.1:8080 (LOCAL, arrives on eth0: DNAT)',
    origin: 'external',
    proto: 'tcp',
    src: CLIENT,
    dst: '172.17.0.1',
    dport: 8080,
  },
];

const docker: DumpSpec = {
  name: 'docker',
  fixture: 'docker.rules',
  topology: {
    bridge: { name: 'docker0', cidr: '172.17.0.0/16', address: '172.17.0.1', podIP: CT },
    clientAddrs: ['203.0.113.66', '203.0.113.5'],
    podAddrs: ['172.17.0.3'],
    remoteCIDRs: [],
  },
  cases: dockerCases,
};

// ---- host-firewall: a hand-made host firewall (INPUT/FORWARD policy DROP, raw, mangle, nat) ----

const trusted = '198.51.100.7';
const sshNet = '203.0.113.5';
const other = '198.18.0.9';
const hf = (
  name: string,
  origin: Origin,
  proto: 'tcp' | 'udp',
  src: string,
  dst: string,
  dport: number,
  expect?: KernelCase['expect'],
): KernelCase => ({ name, origin, proto, src, dst, dport, expect });

const hostFirewall: DumpSpec = {
  name: 'host-firewall',
  fixture: 'host-firewall.rules',
  topology: { clientAddrs: [trusted, sshNet, other], localAddrs: ['10.10.10.10'] },
  cases: [
    hf('external → :22 from 192.168.0.1 (IN-SSH falls through to ACCEPT)', 'external', 'tcp', CLIENT, NODE, 22, {
      verdict: 'ACCEPT',
    }),
    hf(
      'external → :22 from 203.0.113.5 (IN-SSH explicit RETURN, duplicate RETURN never reached, then LOG-DROP)',
      'external',
      'tcp',
      sshNet,
      NODE,
      22,
      { verdict: 'DROP' },
    ),
    hf(
      'external → :22 from trusted 198.51.100.7 (mangle MARK + CONNMARK save, filter connmark → IN-TRUSTED)',
      'external',
      'tcp',
      trusted,
      NODE,
      22,
      { verdict: 'ACCEPT' },
    ),
    hf('external → :80 (nat REDIRECT to :8080 on eth0 address)', 'external', 'tcp', CLIENT, NODE, 80, {
      dst: `${NODE}:8080`,
    }),
    hf('external → :443 (multiport ACCEPT)', 'external', 'tcp', CLIENT, NODE, 443, { verdict: 'ACCEPT' }),
    hf('external → :8080 (multiport ACCEPT)', 'external', 'tcp', other, NODE, 8080),
    hf('external → :25 (REJECT tcp-reset)', 'external', 'tcp', CLIENT, NODE, 25, { verdict: 'REJECT' }),
    hf('external → :69/udp (REJECT icmp-port-unreachable)', 'external', 'udp', CLIENT, NODE, 69, { verdict: 'REJECT' }),
    hf('external → :53/udp (raw NOTRACK, ctstate UNTRACKED ACCEPT, no nat)', 'external', 'udp', CLIENT, NODE, 53, {
      verdict: 'ACCEPT',
    }),
    hf('external → :53/tcp (not NOTRACKed: LOG-DROP)', 'external', 'tcp', CLIENT, NODE, 53, { verdict: 'DROP' }),
    hf('external → :9050 (port range + ctstate NEW)', 'external', 'tcp', CLIENT, NODE, 9050, { verdict: 'ACCEPT' }),
    hf('external → :9101 (just outside the range: LOG then DROP)', 'external', 'tcp', CLIENT, NODE, 9101, {
      verdict: 'DROP',
    }),
    hf('external → :2121 (raw CT --helper ftp)', 'external', 'tcp', CLIENT, NODE, 2121, { verdict: 'ACCEPT' }),
    hf(
      'external → :2222 (PORT-FORWARD multiport DNAT to pod 10.244.0.5:22, FORWARD accept)',
      'external',
      'tcp',
      CLIENT,
      NODE,
      2222,
      { dst: `${POD}:22` },
    ),
    hf('external → :2223 (second multiport port)', 'external', 'tcp', other, NODE, 2223, { dst: `${POD}:22` }),
    hf(
      'external → :5353/udp (PORT-FORWARD DNAT to remote 10.244.1.20:53: FORWARD LOG then policy DROP)',
      'external',
      'udp',
      CLIENT,
      NODE,
      5353,
      { verdict: 'DROP' },
    ),
    hf(
      'external trusted → :5353/udp (DNAT + mark: ctstate DNAT and mark ACCEPT, SNAT on eth0)',
      'external',
      'udp',
      trusted,
      NODE,
      5353,
      { dst: '10.244.1.20:53', src: NODE },
    ),
    hf(
      'external → :8443 (goto PF-TLS, RETURN goes back to PREROUTING, next rule DNATs)',
      'external',
      'tcp',
      CLIENT,
      NODE,
      8443,
      { dst: '10.244.1.31:443' },
    ),
    hf('external trusted → :8443 (goto PF-TLS DNAT)', 'external', 'tcp', trusted, NODE, 8443, {
      dst: '10.244.2.30:443',
    }),
    hf(
      'external trusted → :161/udp (IN-TRUSTED: rule without target, then udp ACCEPT)',
      'external',
      'udp',
      trusted,
      NODE,
      161,
      { verdict: 'ACCEPT' },
    ),
    hf('external trusted → :162/udp (IN-TRUSTED falls off, LOG-DROP)', 'external', 'udp', trusted, NODE, 162, {
      verdict: 'DROP',
    }),
    hf(
      'external → dummy LOCAL address 10.10.10.10:80 (REDIRECT to eth0 address)',
      'external',
      'tcp',
      CLIENT,
      '10.10.10.10',
      80,
      { dst: `${NODE}:8080` },
    ),
    hf('external → dummy LOCAL address 10.10.10.10:22', 'external', 'tcp', CLIENT, '10.10.10.10', 22),
    hf('external → pod 10.244.0.5:22 directly (FORWARD -d pod :22 ACCEPT)', 'external', 'tcp', CLIENT, POD, 22, {
      verdict: 'ACCEPT',
    }),
    hf(
      'external → pod 10.244.0.5:80 directly (REDIRECT -i eth0 catches any destination)',
      'external',
      'tcp',
      CLIENT,
      POD,
      80,
      {
        dst: `${NODE}:8080`,
      },
    ),
    hf('external → pod 10.244.0.5:8000 directly (FORWARD LOG, policy DROP)', 'external', 'tcp', CLIENT, POD, 8000, {
      verdict: 'DROP',
    }),
    hf(
      'external trusted → pod 10.244.0.5:8000 (mark set, not DNAT: policy DROP)',
      'external',
      'tcp',
      trusted,
      POD,
      8000,
      {
        verdict: 'DROP',
      },
    ),
    hf(
      'external → remote 10.244.2.30:443 directly (FORWARD policy DROP)',
      'external',
      'tcp',
      CLIENT,
      '10.244.2.30',
      443,
      { verdict: 'DROP' },
    ),
    hf(
      'pod → internet 8.8.8.8:53/udp (mangle mark 0x20, FWD-PODS -o eth0 ACCEPT, MASQUERADE)',
      'pod',
      'udp',
      POD,
      '8.8.8.8',
      53,
      { src: NODE },
    ),
    hf('pod → internet 1.1.1.1:443 (TCPMSS in mangle FORWARD)', 'pod', 'tcp', POD, '1.1.1.1', 443, { src: NODE }),
    hf('pod → 10.244.1.5:80 (FWD-PODS REJECT icmp-net-prohibited)', 'pod', 'tcp', POD, '10.244.1.5', 80, {
      verdict: 'REJECT',
    }),
    hf('pod → 10.1.2.3:80 (FWD-PODS REJECT, 10.0.0.0/8)', 'pod', 'udp', POD, '10.1.2.3', 80, { verdict: 'REJECT' }),
    hf('pod → node 192.168.0.2:22 (INPUT from cni0, IN-SSH ACCEPT)', 'pod', 'tcp', POD, NODE, 22, {
      verdict: 'ACCEPT',
    }),
    hf('pod → node 192.168.0.2:80 (no REDIRECT: -i eth0 only)', 'pod', 'tcp', POD, NODE, 80, { dst: `${NODE}:80` }),
    hf(
      'pod → node 192.168.0.2:2222 (PORT-FORWARD DNAT back to itself, MASQUERADE -o cni0 ctstate DNAT)',
      'pod',
      'tcp',
      POD,
      NODE,
      2222,
      { dst: `${POD}:22` },
    ),
    hf('pod → bridge 10.244.0.1:53/udp (not NOTRACKed: -i eth0 only)', 'pod', 'udp', POD, '10.244.0.1', 53),
    hf('pod → external client 192.168.0.1:8080', 'pod', 'tcp', POD, CLIENT, 8080, { src: NODE }),
    hf('local → local 192.168.0.2:22 (OUTPUT -o lo ACCEPT, INPUT -i lo ACCEPT)', 'local', 'tcp', NODE, NODE, 22, {
      legs: 2,
    }),
    hf(
      'local → 127.0.0.1:53/udp (raw OUTPUT NOTRACK on lo, lo leg untracked)',
      'local',
      'udp',
      '127.0.0.1',
      '127.0.0.1',
      53,
      { legs: 2 },
    ),
    hf('local → 10.10.10.10:80 (OUTPUT REDIRECT to 127.0.0.1:8080)', 'local', 'tcp', NODE, '10.10.10.10', 80, {
      dst: '127.0.0.1:8080',
    }),
    hf('local → 192.168.0.2:2222 (OUTPUT PORT-FORWARD DNAT to pod)', 'local', 'tcp', NODE, NODE, 2222, {
      dst: `${POD}:22`,
    }),
    hf('local → 192.168.0.2:5353/udp (OUTPUT DNAT to remote 10.244.1.20:53)', 'local', 'udp', NODE, NODE, 5353, {
      dst: '10.244.1.20:53',
    }),
    hf('local → 192.168.0.2:8443 (goto PF-TLS in OUTPUT, RETURN: no DNAT)', 'local', 'tcp', NODE, NODE, 8443),
    hf('local → external 192.168.0.1:23 (OUTPUT DROP)', 'local', 'tcp', NODE, CLIENT, 23, { verdict: 'DROP' }),
    hf('local → external 192.168.0.1:514/udp (OUTPUT REJECT)', 'local', 'udp', NODE, CLIENT, 514, {
      verdict: 'REJECT',
    }),
    hf('local → ntp 192.168.0.1:123/udp (mangle OUTPUT MARK, filter mark ACCEPT)', 'local', 'udp', NODE, CLIENT, 123, {
      verdict: 'ACCEPT',
    }),
    hf('local → internet 8.8.8.8:68/udp (CHECKSUM in mangle POSTROUTING)', 'local', 'udp', NODE, '8.8.8.8', 68),
    hf('local → pod 10.244.0.5:22', 'local', 'tcp', NODE, POD, 22),
    hf('local from bridge address 10.244.0.1 → pod 10.244.0.5:80', 'local', 'tcp', '10.244.0.1', POD, 80),
    hf('local → 127.0.0.1:25 (lo: INPUT -i lo ACCEPT before REJECT)', 'local', 'tcp', '127.0.0.1', '127.0.0.1', 25, {
      verdict: 'ACCEPT',
    }),
  ],
};

// ---- netfilter-edges: corner cases of the walk itself ----

const inIpRange = '198.51.100.15';
const e = (name: string, c: Omit<KernelCase, 'name'>): KernelCase => ({ name, ...c });

const netfilterEdges: DumpSpec = {
  name: 'netfilter-edges',
  fixture: 'netfilter-edges.rules',
  topology: { clientAddrs: [trusted, inIpRange, other], podAddrs: ['10.244.0.6'] },
  cases: [
    e('external → node :2020 (PREROUTING DNAT to 127.0.0.1 with route_localnet; INPUT ctstate DNAT ctorigdstport)', {
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: NODE,
      dport: 2020,
      expect: { dst: '127.0.0.1:2020', verdict: 'ACCEPT' },
    }),
    e('pod → node :2020 (DNAT to 127.0.0.1 from cni0)', {
      origin: 'pod',
      proto: 'tcp',
      src: POD,
      dst: NODE,
      dport: 2020,
      expect: { dst: '127.0.0.1:2020' },
    }),
    e('external in iprange 198.51.100.15 → node :2021 (iprange DNAT, FORWARD ctstate DNAT ctorigdst)', {
      origin: 'external',
      proto: 'tcp',
      src: inIpRange,
      dst: NODE,
      dport: 2021,
      expect: { dst: '10.244.2.21:80', verdict: 'ACCEPT' },
    }),
    e('external outside iprange 198.51.100.7 → node :2021 (no DNAT; addrtype --limit-iface-in → IN-LOCAL RETURN)', {
      origin: 'external',
      proto: 'tcp',
      src: trusted,
      dst: NODE,
      dport: 2021,
      expect: { dst: `${NODE}:2021` },
    }),
    e('external → node :6000/udp ×10 (statistic nth every 2: alternates)', {
      origin: 'external',
      proto: 'udp',
      src: CLIENT,
      dst: NODE,
      dport: 6000,
      repeat: 10,
      expect: { dst: ['10.244.1.60:6000', '10.244.1.61:6000'] },
    }),
    e('external → node :6001/udp ×30 (statistic random 0.25, else stays local)', {
      origin: 'external',
      proto: 'udp',
      src: CLIENT,
      dst: NODE,
      dport: 6001,
      repeat: 30,
    }),
    e('external → node :2010 (multiport ! --dports: DNAT keeping the port)', {
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: NODE,
      dport: 2010,
      expect: { dst: '10.244.1.50:2010' },
    }),
    e('external → node :2101 (multiport ! --dports, just above a range)', {
      origin: 'external',
      proto: 'tcp',
      src: other,
      dst: NODE,
      dport: 2101,
      expect: { dst: '10.244.1.50:2101' },
    }),
    e('external → node :1500 (inside an inverted range: no DNAT)', {
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: NODE,
      dport: 1500,
      expect: { dst: `${NODE}:1500` },
    }),
    e('external sport 30050 → node :2010 (--sport range RETURN in a built-in chain: policy, so no DNAT)', {
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      sport: 30050,
      dst: NODE,
      dport: 2010,
      expect: { dst: `${NODE}:2010` },
    }),
    e('external sport 31001 → node :9 (multiport --sports DNAT)', {
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      sport: 31001,
      dst: NODE,
      dport: 9,
      expect: { dst: '10.244.1.63:80' },
    }),
    e('external sport 31002 → node :9 (multiport --sports, not listed)', {
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      sport: 31002,
      dst: NODE,
      dport: 9,
    }),
    e('external → node :2500 (jump PRE-B, goto PRE-C, DNAT in PRE-C)', {
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: NODE,
      dport: 2500,
      expect: { dst: '10.244.2.25:2500' },
    }),
    e("external 198.51.100.7 → node :2500 (RETURN from a goto'd chain resumes PRE-A after the jump)", {
      origin: 'external',
      proto: 'tcp',
      src: trusted,
      dst: NODE,
      dport: 2500,
      expect: { dst: '10.244.1.25:2500' },
    }),
    e('external 198.51.100.7 → node :2022 (nat INPUT SNAT rewrites the source on the way in)', {
      origin: 'external',
      proto: 'tcp',
      src: trusted,
      dst: NODE,
      dport: 2022,
      expect: { src: '10.99.0.1' },
    }),
    e('external → node :2022 from another source (no nat INPUT rule)', {
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: NODE,
      dport: 2022,
    }),
    e('external → node :444 (security INPUT DROP after filter accepted)', {
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: NODE,
      dport: 444,
      expect: { verdict: 'DROP' },
    }),
    e('external → node :443 (security INPUT LOG continues)', {
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: NODE,
      dport: 443,
      expect: { verdict: 'ACCEPT' },
    }),
    e('external → node :3100 (J1 → J2 goto J3 → RETURN lands in J1 → ACCEPT)', {
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: NODE,
      dport: 3100,
      expect: { verdict: 'ACCEPT' },
    }),
    e('external 198.51.100.7 → node :3100 (J3 DROP)', {
      origin: 'external',
      proto: 'tcp',
      src: trusted,
      dst: NODE,
      dport: 3100,
      expect: { verdict: 'DROP' },
    }),
    e('external → node :3200 (addrtype --limit-iface-in: IN-LOCAL DROP)', {
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: NODE,
      dport: 3200,
      expect: { verdict: 'DROP' },
    }),
    e('external → bridge address 10.244.0.1:3200 (LOCAL, but not on eth0: --limit-iface-in false)', {
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: '10.244.0.1',
      dport: 3200,
      expect: { verdict: 'ACCEPT' },
    }),
    e('pod → bridge address 10.244.0.1:3200 (LOCAL on cni0: IN-LOCAL DROP)', {
      origin: 'pod',
      proto: 'tcp',
      src: POD,
      dst: '10.244.0.1',
      dport: 3200,
      expect: { verdict: 'DROP' },
    }),
    e('pod → node 192.168.0.2:3200 (LOCAL, but on eth0: --limit-iface-in false)', {
      origin: 'pod',
      proto: 'tcp',
      src: POD,
      dst: NODE,
      dport: 3200,
      expect: { verdict: 'ACCEPT' },
    }),
    e('external → node :4789/udp (raw CT --notrack: no nat)', {
      origin: 'external',
      proto: 'udp',
      src: CLIENT,
      dst: NODE,
      dport: 4789,
    }),
    e('external → node :5000/udp (state NEW)', {
      origin: 'external',
      proto: 'udp',
      src: CLIENT,
      dst: NODE,
      dport: 5000,
    }),
    e('external → pod 10.244.0.5:80 (mangle FORWARD wildcard eth+ → cni+ CONNMARK, security FORWARD RETURN)', {
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: POD,
      dport: 80,
    }),
    e('pod → internet 8.8.8.8:53/udp (FORWARD cni+ → eth+, POSTROUTING -o eth+ MARK)', {
      origin: 'pod',
      proto: 'udp',
      src: POD,
      dst: '8.8.8.8',
      dport: 53,
    }),
    e('pod → node :2600 (DNAT to the neighbour pod, hairpin MASQUERADE to the bridge address)', {
      origin: 'pod',
      proto: 'tcp',
      src: POD,
      dst: NODE,
      dport: 2600,
      expect: { dst: '10.244.0.6:80', src: '10.244.0.1' },
    }),
    e('pod → node :2010 (multiport ! --dports DNAT from the pod side)', {
      origin: 'pod',
      proto: 'tcp',
      src: POD,
      dst: NODE,
      dport: 2010,
    }),
    e('local → 127.0.0.1:7002 (OUTPUT -o lo DNAT to the node address, MASQUERADE towards lo)', {
      origin: 'local',
      proto: 'tcp',
      src: '127.0.0.1',
      dst: '127.0.0.1',
      dport: 7002,
      expect: { legs: 2 },
    }),
    e('local 192.168.0.2 → 127.0.0.1:7002 (OUTPUT -o lo DNAT, MASQUERADE towards lo)', {
      origin: 'local',
      proto: 'tcp',
      src: NODE,
      dst: '127.0.0.1',
      dport: 7002,
      expect: { legs: 2 },
    }),
    e('local 10.244.0.1 → 127.0.0.1:7002 (MASQUERADE towards lo from the bridge address)', {
      origin: 'local',
      proto: 'tcp',
      src: '10.244.0.1',
      dst: '127.0.0.1',
      dport: 7002,
      expect: { legs: 2 },
    }),
    e('local → 10.96.0.10:80 (OUTPUT DNAT of a ClusterIP-like range to a local pod)', {
      origin: 'local',
      proto: 'tcp',
      src: NODE,
      dst: '10.96.0.10',
      dport: 80,
      expect: { dst: '10.244.0.5:8080' },
    }),
    e('local 10.244.0.1 → 10.96.0.10:80 (from the bridge address: hairpin MASQUERADE rule does not apply to local)', {
      origin: 'local',
      proto: 'tcp',
      src: '10.244.0.1',
      dst: '10.96.0.10',
      dport: 80,
    }),
    e('local → 127.0.0.1:7001 (raw OUTPUT NOTRACK: the nat OUTPUT DNAT is skipped)', {
      origin: 'local',
      proto: 'tcp',
      src: '127.0.0.1',
      dst: '127.0.0.1',
      dport: 7001,
      expect: { dst: '127.0.0.1:7001' },
    }),
    e('local → 192.168.0.1:7010 (owner --uid-owner 0: REJECT)', {
      origin: 'local',
      proto: 'tcp',
      src: NODE,
      dst: CLIENT,
      dport: 7010,
      expect: { verdict: 'REJECT' },
    }),
    e('local → 192.168.0.1:7011 (owner ! --uid-owner 0: not matched)', {
      origin: 'local',
      proto: 'tcp',
      src: NODE,
      dst: CLIENT,
      dport: 7011,
      expect: { verdict: 'ACCEPT' },
    }),
    e('local with SO_MARK 0x100 → 192.168.0.1:80 (mark in, MARK, filter mark ACCEPT)', {
      origin: 'local',
      proto: 'tcp',
      src: NODE,
      dst: CLIENT,
      dport: 80,
      mark: 0x100,
    }),
    e('local with SO_MARK 0x4 → 192.168.0.1:81/udp', {
      origin: 'local',
      proto: 'udp',
      src: NODE,
      dst: CLIENT,
      dport: 81,
      mark: 0x4,
    }),
    e('local → 192.168.0.1:7777/udp (owner mark 0x2 → POSTROUTING SNAT)', {
      origin: 'local',
      proto: 'udp',
      src: NODE,
      dst: CLIENT,
      dport: 7777,
    }),
    e('local 10.244.0.1 → 192.168.0.1:7777/udp (SNAT to the uplink address)', {
      origin: 'local',
      proto: 'udp',
      src: '10.244.0.1',
      dst: CLIENT,
      dport: 7777,
      expect: { src: NODE },
    }),
    e('local → 127.0.0.1:9999/udp (security OUTPUT DROP)', {
      origin: 'local',
      proto: 'udp',
      src: '127.0.0.1',
      dst: '127.0.0.1',
      dport: 9999,
      expect: { verdict: 'DROP' },
    }),
    e('local → 192.168.0.2:3200 (lo leg: --limit-iface-in with lo)', {
      origin: 'local',
      proto: 'tcp',
      src: NODE,
      dst: NODE,
      dport: 3200,
      expect: { legs: 2 },
    }),
    e('local → 192.168.0.2:2020 (no PREROUTING DNAT on the lo leg: the connection is set up in OUTPUT)', {
      origin: 'local',
      proto: 'tcp',
      src: NODE,
      dst: NODE,
      dport: 2020,
      expect: { legs: 2, dst: `${NODE}:2020` },
    }),
    e('local → 192.168.0.2:2050 (PREROUTING multiport DNAT does not run on the lo leg)', {
      origin: 'local',
      proto: 'tcp',
      src: NODE,
      dst: NODE,
      dport: 2050,
      expect: { legs: 2 },
    }),
    e('external → node :3700 (raw ACCEPT ends only the raw table)', {
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: NODE,
      dport: 3700,
    }),
    e('external → node :3701 (jump to an empty chain prints nothing for it)', {
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: NODE,
      dport: 3701,
    }),
    e('external → node :3702 (port-only DNAT --to-destination :8080)', {
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: NODE,
      dport: 3702,
      expect: { dst: `${NODE}:8080` },
    }),
    e('external → node :6002/udp ×20 (statistic ! --probability 0.5)', {
      origin: 'external',
      proto: 'udp',
      src: CLIENT,
      dst: NODE,
      dport: 6002,
      repeat: 20,
    }),
    e('pod → client 192.168.0.1:3703 (MASQUERADE --to-ports 40000)', {
      origin: 'pod',
      proto: 'tcp',
      src: POD,
      dst: CLIENT,
      dport: 3703,
      expect: { src: NODE },
    }),
    e('local 10.244.0.1 → client 192.168.0.1:3704 (SNAT --to-source 192.168.0.2:40001)', {
      origin: 'local',
      proto: 'tcp',
      src: '10.244.0.1',
      dst: CLIENT,
      dport: 3704,
      expect: { src: NODE },
    }),
    e('external → node :3705 (ctstate NEW --ctdir ORIGINAL; not yet CONFIRMED in INPUT)', {
      origin: 'external',
      proto: 'tcp',
      src: CLIENT,
      dst: NODE,
      dport: 3705,
      expect: { verdict: 'ACCEPT' },
    }),
    e('local → local 192.168.0.2:3705 (the lo leg: conntrack already CONFIRMED, still NEW)', {
      origin: 'local',
      proto: 'tcp',
      src: NODE,
      dst: NODE,
      dport: 3705,
      expect: { legs: 2 },
    }),
    // The source port after SNAT/MASQUERADE towards lo, the address already the node's
    // (nf_nat_core.c get_unique_tuple): random under --random(-fully) or outside --to-ports, and
    // the lo leg then sees --ctstate SNAT (the LOG rule) though the address did not change.
    ...(
      [
        [3706, 'MASQUERADE --random-fully', undefined],
        [3706, 'MASQUERADE --random-fully: a port below 512 stays below 512', 500],
        [3706, 'MASQUERADE --random-fully: a port in 512-1023 stays in 600-1023', 800],
        [3707, 'MASQUERADE --random', undefined],
        [3708, 'MASQUERADE --to-ports 1024-2048 --random-fully', undefined],
        [3709, 'MASQUERADE --to-ports 1024-2048: a port outside is drawn from the range', undefined],
        [3709, 'MASQUERADE --to-ports 1024-2048: a port inside is kept, no SNAT state', 1500],
        [3710, 'SNAT --to-source 192.168.0.2 --random-fully', undefined],
      ] as const
    ).map(([dport, what, sport]) =>
      e(`local → local 192.168.0.2:${dport} (${what})`, {
        origin: 'local',
        proto: 'tcp',
        src: NODE,
        dst: NODE,
        dport,
        ...(sport === undefined ? {} : { sport }),
        expect: { legs: 2, src: NODE },
      }),
    ),
    e('local → local 127.0.0.1:4789/udp (lo leg of a tracked packet)', {
      origin: 'local',
      proto: 'udp',
      src: '127.0.0.1',
      dst: '127.0.0.1',
      dport: 4789,
      expect: { legs: 2 },
    }),
    e('external → uplink broadcast 192.168.0.255:5000/udp (addrtype BROADCAST, pkttype broadcast)', {
      origin: 'external',
      proto: 'udp',
      src: CLIENT,
      dst: '192.168.0.255',
      dport: 5000,
    }),
    e('pod → pod-CIDR broadcast 10.244.0.255:5000/udp', {
      origin: 'pod',
      proto: 'udp',
      src: POD,
      dst: '10.244.0.255',
      dport: 5000,
    }),
    e('pod → limited broadcast 255.255.255.255:67/udp', {
      origin: 'pod',
      proto: 'udp',
      src: POD,
      dst: '255.255.255.255',
      dport: 67,
    }),
    e('pod → multicast 224.0.0.251:5353/udp (mDNS)', {
      origin: 'pod',
      proto: 'udp',
      src: POD,
      dst: '224.0.0.251',
      dport: 5353,
    }),
  ],
};

// ---- kube-legacy: the 1.2x kube-proxy layout (KUBE-XLB, KUBE-MARK-DROP) ----

const lg = (
  name: string,
  origin: Origin,
  src: string,
  dst: string,
  dport: number,
  extra: Partial<KernelCase> = {},
): KernelCase => ({
  name,
  origin,
  proto: 'tcp',
  src,
  dst,
  dport,
  ...extra,
});

const kubeLegacy: DumpSpec = {
  name: 'kube-legacy',
  fixture: 'kube-legacy.rules',
  topology: { clientAddrs: [trusted, other], podAddrs: ['10.244.0.6', '10.244.0.7'] },
  cases: [
    lg(
      'pod → old-web ClusterIP 10.96.30.10:80 (KUBE-SERVICES masquerade rule skipped for pods, 5-decimal statistic)',
      'pod',
      POD,
      '10.96.30.10',
      80,
      { repeat: 20 },
    ),
    lg(
      'external → old-web ClusterIP 10.96.30.10:80 (MARK-MASQ in KUBE-SERVICES)',
      'external',
      CLIENT,
      '10.96.30.10',
      80,
      { repeat: 20 },
    ),
    lg('local → old-web ClusterIP 10.96.30.10:80', 'local', NODE, '10.96.30.10', 80, { repeat: 20 }),
    lg('endpoint pod 10.244.0.6 → old-web ClusterIP (hairpin)', 'pod', '10.244.0.6', '10.96.30.10', 80, { repeat: 20 }),
    lg('external → old-web NodePort 192.168.0.2:30100 (MARK-MASQ in KUBE-NODEPORTS)', 'external', CLIENT, NODE, 30100, {
      repeat: 20,
    }),
    lg('pod → old-web NodePort 192.168.0.2:30100', 'pod', POD, NODE, 30100, { repeat: 20 }),
    lg('local 127.0.0.1 → old-web localhost NodePort 127.0.0.1:30100', 'local', '127.0.0.1', '127.0.0.1', 30100, {
      repeat: 20,
    }),
    lg(
      'external in range 198.51.100.7 → old-lb LoadBalancer 203.0.113.50:80 (KUBE-FW → KUBE-XLB → local endpoint)',
      'external',
      trusted,
      '203.0.113.50',
      80,
      {
        expect: { dst: '10.244.0.7:80', src: trusted },
      },
    ),
    lg(
      'external out of range 198.18.0.9 → old-lb LoadBalancer (KUBE-MARK-DROP, no DNAT: FORWARD policy DROP)',
      'external',
      other,
      '203.0.113.50',
      80,
      {
        expect: { verdict: 'DROP' },
      },
    ),
    lg(
      'pod → old-lb LoadBalancer 203.0.113.50:80 (XLB: pods go to the cluster-wide chain)',
      'pod',
      POD,
      '203.0.113.50',
      80,
      { repeat: 20 },
    ),
    lg(
      'local → old-lb LoadBalancer 203.0.113.50:80 (KUBE-FW drops the node too: MARK-DROP)',
      'local',
      NODE,
      '203.0.113.50',
      80,
    ),
    lg(
      'external → old-lb NodePort 192.168.0.2:30200 (XLB: local endpoint only, no masquerade)',
      'external',
      CLIENT,
      NODE,
      30200,
      {
        expect: { dst: '10.244.0.7:80', src: CLIENT },
      },
    ),
    lg(
      'local 127.0.0.1 → old-lb localhost NodePort 127.0.0.1:30200 (masquerade 127/8, src-type LOCAL → cluster-wide)',
      'local',
      '127.0.0.1',
      '127.0.0.1',
      30200,
      { repeat: 20 },
    ),
    lg(
      'local 192.168.0.2 → old-lb NodePort 192.168.0.2:30200 (src-type LOCAL → masquerade, cluster-wide)',
      'local',
      NODE,
      NODE,
      30200,
      { repeat: 20 },
    ),
    lg('pod → old-lb NodePort 192.168.0.2:30200 (pod source → cluster-wide)', 'pod', POD, NODE, 30200, { repeat: 20 }),
    lg('pod → old-lb ClusterIP 10.96.30.20:80', 'pod', POD, '10.96.30.20', 80, { repeat: 20 }),
    lg(
      'external → old-nolocal NodePort 192.168.0.2:30300 (no local endpoints: KUBE-MARK-DROP, kubelet KUBE-FIREWALL DROP)',
      'external',
      CLIENT,
      NODE,
      30300,
      {
        expect: { verdict: 'DROP' },
      },
    ),
    lg(
      'local 127.0.0.1 → old-nolocal localhost NodePort 127.0.0.1:30300 (src-type LOCAL → cluster-wide)',
      'local',
      '127.0.0.1',
      '127.0.0.1',
      30300,
      {
        expect: { dst: '10.244.1.80:80', src: NODE },
      },
    ),
    lg('pod → old-nolocal NodePort 192.168.0.2:30300 (pod source → cluster-wide)', 'pod', POD, NODE, 30300, {
      expect: { dst: '10.244.1.80:80' },
    }),
    lg('pod → old-nolocal ClusterIP 10.96.30.30:80', 'pod', POD, '10.96.30.30', 80),
    lg('external → old-nolocal ClusterIP 10.96.30.30:80', 'external', CLIENT, '10.96.30.30', 80),
    lg(
      'external → remote pod 10.244.1.60:8080 directly (FORWARD -d pod CIDR ACCEPT)',
      'external',
      CLIENT,
      '10.244.1.60',
      8080,
      { expect: { verdict: 'ACCEPT' } },
    ),
    lg(
      'external → 198.51.100.99:80 (not a pod, not marked: FORWARD policy DROP)',
      'external',
      CLIENT,
      '198.51.100.99',
      80,
      { expect: { verdict: 'DROP' } },
    ),
  ],
};

// ---- kube-v6: kube-proxy in IPv6 (ip6tables) ----

const N6 = 'fd00::2';
const C6 = 'fd00::1';
const P6 = 'fd00:10:244::5';
const k6 = (name: string) => svc(kubeV6Services, name);
const v6hosts = { node: N6, lo: '::1' };
const pod6 = { origin: 'pod' as const, src: P6 };
const pod6b = { origin: 'pod' as const, src: 'fd00:10:244::6' };
const ext6 = { origin: 'external' as const, src: C6 };
const ext6In = { origin: 'external' as const, src: '2001:db8:3::7' };
const ext6Out = { origin: 'external' as const, src: '2001:db8:4::9' };
const local6 = { origin: 'local' as const, src: N6 };
const local6lo = { origin: 'local' as const, src: '::1' };
const api6 = k6('api');
const api6Sep = (ip: string) => {
  const ep = api6.endpoints.find((x) => x.ip === ip);
  if (!ep) throw new Error(ip);
  return sepChain(api6, ep);
};

const kubeV6: DumpSpec = {
  name: 'kube-v6',
  fixture: 'kube-v6.rules',
  topology: { family: 6, podAddrs: ['fd00:10:244::6'] },
  cases: [
    ...serviceCases(k6('kubernetes'), [pod6, ext6, local6], undefined, v6hosts),
    ...serviceCases(k6('kube-dns'), [pod6, pod6b, ext6, local6], undefined, v6hosts),
    ...serviceCases(k6('web'), [pod6, ext6, local6, local6lo], undefined, v6hosts),
    ...serviceCases(k6('empty'), [pod6, ext6, local6], undefined, v6hosts),
    ...serviceCases(k6('shop'), [ext6, pod6, local6], ['cluster', 'nodeport', 'lb'], v6hosts),
    ...serviceCases(k6('admin'), [ext6In, ext6Out, pod6], ['lb'], v6hosts),
    ...serviceCases(k6('edge'), [ext6, pod6, local6], ['lb', 'nodeport'], v6hosts),
    ...serviceCases(k6('ext'), [ext6, pod6, local6], ['external', 'cluster'], v6hosts),
    {
      name: 'pod → default/api:grpc [fd00:96::1e]:9000, recent entry for fd00:10:244:2::4 (IPv6 affinity)',
      origin: 'pod',
      proto: 'tcp',
      src: P6,
      dst: api6.clusterIP,
      dport: api6.port,
      affinity: true,
      recent: { [api6Sep('fd00:10:244:2::4')]: [P6] },
      expect: { dst: 'fd00:10:244:2::4:9000' },
    },
    {
      name: 'pod → default/api:grpc [fd00:96::1e]:9000, no recent entry (statistic)',
      origin: 'pod',
      proto: 'tcp',
      src: P6,
      dst: api6.clusterIP,
      dport: api6.port,
      affinity: true,
      repeat: 20,
    },
    {
      name: 'external → edge health check node port [fd00::2]:32000',
      origin: 'external',
      proto: 'tcp',
      src: C6,
      dst: N6,
      dport: 32000,
    },
    {
      name: 'pod → remote pod [fd00:10:244:1::7]:8080 directly',
      origin: 'pod',
      proto: 'tcp',
      src: P6,
      dst: 'fd00:10:244:1::7',
      dport: 8080,
    },
    {
      name: 'pod → internet [2001:4860:4860::8888]:53/udp (flannel MASQUERADE)',
      origin: 'pod',
      proto: 'udp',
      src: P6,
      dst: '2001:4860:4860::8888',
      dport: 53,
      expect: { src: N6 },
    },
    { name: 'external → node [fd00::2]:22', origin: 'external', proto: 'tcp', src: C6, dst: N6, dport: 22 },
    {
      name: 'local → local [fd00::2]:10250 (lo leg)',
      origin: 'local',
      proto: 'tcp',
      src: N6,
      dst: N6,
      dport: 10250,
      expect: { legs: 2 },
    },
    {
      name: 'local → local [::1]:10248 (lo leg)',
      origin: 'local',
      proto: 'tcp',
      src: '::1',
      dst: '::1',
      dport: 10248,
      expect: { legs: 2 },
    },
    {
      name: 'pod → bridge address [fd00:10:244::1]:53/udp',
      origin: 'pod',
      proto: 'udp',
      src: P6,
      dst: 'fd00:10:244::1',
      dport: 53,
    },
  ],
};

export const DUMPS: DumpSpec[] = [
  kubeCluster,
  kubeLb,
  kubeLegacy,
  docker,
  hostFirewall,
  netfilterEdges,
  kubeV6,
  kubeIpvs,
  ipsetEdges,
  targetEdges,
  ...generatedDumps(),
];

/** Addresses the pod namespace must own beyond its primary one, taken from the cases. */
export function derivedTopology(dump: DumpSpec): Partial<TopologySpec> {
  const base = topologySpec(dump.topology);
  const pods = new Set(dump.topology.podAddrs ?? []);
  const clients = new Set(dump.topology.clientAddrs ?? []);
  for (const c of dump.cases) {
    if (c.origin === 'pod' && c.src !== base.bridge.podIP) pods.add(c.src);
    if (c.origin === 'external' && c.src !== base.clientIP) clients.add(c.src);
  }
  return { ...dump.topology, podAddrs: [...pods], clientAddrs: [...clients] };
}
