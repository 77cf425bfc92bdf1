// Dumps chainwalk generates from Service YAML (src/kube), proven like the hand-made fixtures:
// the generated iptables-save text is loaded unchanged with iptables-restore, iptables-save must
// print it back, and packets to every address of every Service agree with the simulator.
// One YAML (fixtures/kube/kernel-mix.yaml), written in each kube-proxy layout, plus its
// ip6tables half. Rules name nfacct counters (kube-proxy's default): KernelNode creates them.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateFromYaml, type ProxierLayout, type ServicePortResult } from '../../src/kube';
import { endpointChain } from '../../src/kube/hash';
import type { Origin } from '../../src/model';
import type { DumpSpec, KernelCase } from './cases';

const YAML = readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'kube', 'kernel-mix.yaml'), 'utf8');

/** The node the suite builds (netns.ts topologySpec): node-1, its IPs and pod range. */
const NODE_OPTIONS = {
  nodeName: 'node-1',
  nodeIPs: ['192.168.0.2', 'fd00::2'],
  clusterCIDR: '10.244.0.0/16,fd00:10:244::/48',
  allocate: false,
};

type From = { origin: Origin; src: string };
const V4 = {
  pod: { origin: 'pod', src: '10.244.0.5' },
  podB: { origin: 'pod', src: '10.244.0.10' },
  client: { origin: 'external', src: '192.168.0.1' },
  far: { origin: 'external', src: '198.51.100.7' },
  node: { origin: 'local', src: '192.168.0.2' },
  lo: { origin: 'local', src: '127.0.0.1' },
} satisfies Record<string, From>;
const V6 = {
  pod: { origin: 'pod', src: 'fd00:10:244::5' },
  client: { origin: 'external', src: 'fd00::1' },
  node: { origin: 'local', src: 'fd00::2' },
} satisfies Record<string, From>;

type Kind = 'cluster' | 'nodeport' | 'nodeport-lo' | 'lb' | 'external';
/** Per Service: which addresses to send to, from where. Keeps the sends few (≈ 45 ms each). */
const PLAN: Record<string, Partial<Record<Kind, From[]>>> = {
  'mix/web:http': { cluster: [V4.podB, V4.pod, V4.node, V4.client] },
  'mix/web:dns': { cluster: [V4.podB] },
  'mix/front:http': { cluster: [V4.pod], nodeport: [V4.client, V4.pod, V4.node], 'nodeport-lo': [V4.lo] },
  'mix/lb:https': { lb: [V4.client, V4.far, V4.pod, V4.node], nodeport: [V4.far] },
  'mix/local:http': { lb: [V4.client, V4.pod, V4.node], nodeport: [V4.client], 'nodeport-lo': [V4.lo] },
  'mix/nolocal:http': { nodeport: [V4.client, V4.pod, V4.node], cluster: [V4.pod] },
  'mix/itp:http': { cluster: [V4.pod, V4.client] },
  'mix/empty:http': { cluster: [V4.pod], nodeport: [V4.client] },
  'mix/ext:http': { external: [V4.client, V4.pod] },
  'mix/dual:http': { cluster: [V4.pod], nodeport: [V4.client] },
};
const PLAN6: Record<string, Partial<Record<Kind, From[]>>> = {
  'mix/dual:http': { cluster: [V6.pod, V6.node], nodeport: [V6.client, V6.node] },
};

const LABEL: Record<Kind, string> = {
  cluster: 'ClusterIP',
  nodeport: 'NodePort',
  'nodeport-lo': 'localhost NodePort',
  lb: 'LoadBalancer IP',
  external: 'external IP',
};

/** The cases of one service port: each planned address from each planned origin. */
function portCases(sp: ServicePortResult, plan: Partial<Record<Kind, From[]>>, node: string): KernelCase[] {
  if (sp.protocol === 'SCTP') return [];
  const proto = sp.protocol === 'UDP' ? 'udp' : 'tcp';
  const family = sp.family;
  const ofFamily = (ips: readonly string[]) => ips.filter((ip) => ip.includes(':') === (family === 6));
  const [clusterIP] = ofFamily(sp.service.clusterIPs);
  const targets: { kind: Kind; dst: string; dport: number }[] = [
    { kind: 'cluster', dst: clusterIP, dport: sp.port.port },
  ];
  if (sp.port.nodePort) {
    targets.push({ kind: 'nodeport', dst: node, dport: sp.port.nodePort });
    targets.push({ kind: 'nodeport-lo', dst: '127.0.0.1', dport: sp.port.nodePort });
  }
  for (const ip of ofFamily(sp.service.loadBalancerIPs)) targets.push({ kind: 'lb', dst: ip, dport: sp.port.port });
  for (const ip of ofFamily(sp.service.externalIPs)) targets.push({ kind: 'external', dst: ip, dport: sp.port.port });
  const ready = sp.endpoints.filter((e) => e.ready).length;
  const affinity = sp.service.affinityTimeoutSeconds !== null;
  const out: KernelCase[] = [];
  for (const t of targets) {
    for (const from of plan[t.kind] ?? []) {
      out.push({
        name: `${from.origin} ${from.src} → ${sp.servicePortName} ${LABEL[t.kind]} ${t.dst}:${t.dport}/${proto} (${ready} ready endpoint${ready === 1 ? '' : 's'})`,
        origin: from.origin,
        proto,
        src: from.src,
        dst: t.dst,
        dport: t.dport,
        // Two or more endpoints: the statistic split, sent often enough to see each path.
        repeat: ready > 1 ? 20 : undefined,
        affinity: affinity || undefined,
      });
    }
  }
  return out;
}

/** ClientIP affinity with an entry in the endpoint's recent list: the packet goes to that endpoint. */
function affinityCases(ports: readonly ServicePortResult[]): KernelCase[] {
  const sticky = ports.find((p) => p.servicePortName === 'mix/sticky:http');
  if (!sticky) return [];
  const [clusterIP] = sticky.service.clusterIPs;
  return sticky.endpoints.map((ep) => ({
    name: `pod → ${sticky.servicePortName} ${clusterIP}:80, recent entry for ${ep.ip} (ClientIP affinity)`,
    origin: 'pod' as const,
    proto: 'tcp' as const,
    src: V4.pod.src,
    dst: clusterIP,
    dport: 80,
    affinity: true,
    recent: { [endpointChain(sticky.servicePortName, 'tcp', ep.endpoint)]: [V4.pod.src] },
    expect: { dst: ep.endpoint },
  }));
}

function casesFor(ports: readonly ServicePortResult[], plan: typeof PLAN, node: string): KernelCase[] {
  return ports.flatMap((sp) => portCases(sp, plan[sp.servicePortName] ?? {}, node));
}

/** Pods this node holds as endpoints: the pod namespace owns them so they are on-link. */
const localEndpoints = (ports: readonly ServicePortResult[], family: 4 | 6) => [
  ...new Set(
    ports.flatMap((p) =>
      p.endpoints.filter((e) => e.isLocal && e.ip.includes(':') === (family === 6)).map((e) => e.ip),
    ),
  ),
];

export function generatedDumps(): DumpSpec[] {
  const dumps: DumpSpec[] = [];
  const layouts: ProxierLayout[] = ['current', '1.24', 'legacy'];
  for (const layout of layouts) {
    const result = generateFromYaml(YAML, { ...NODE_OPTIONS, layout });
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) throw new Error(`kernel-mix.yaml: ${errors.map((d) => d.message).join('; ')}`);
    const v4 = result.services.filter((s) => s.family === 4);
    const pods = localEndpoints(v4, 4).filter((ip) => ip !== V4.pod.src);
    dumps.push({
      name: `generated-${layout}`,
      fixture: `kernel-mix.yaml → ${layout} layout`,
      text: result.dump,
      gapMs: 15,
      topology: { clientAddrs: [V4.far.src], podAddrs: [...pods, V4.podB.src] },
      cases: [
        ...casesFor(v4, PLAN, '192.168.0.2'),
        ...(layout === 'current' ? affinityCases(v4) : []),
        {
          name: 'external → mix/local health check node port 192.168.0.2:32300 (filter KUBE-NODEPORTS ACCEPT)',
          origin: 'external',
          proto: 'tcp',
          src: V4.client.src,
          dst: '192.168.0.2',
          dport: 32300,
          expect: { verdict: 'ACCEPT' },
        },
      ],
    });
    if (layout === 'current' && result.ipv6) {
      const v6 = result.services.filter((s) => s.family === 6);
      dumps.push({
        name: 'generated-current-v6',
        fixture: 'kernel-mix.yaml → current layout, ip6tables half',
        text: result.ipv6.dump,
        gapMs: 15,
        topology: { family: 6, podAddrs: localEndpoints(v6, 6) },
        cases: casesFor(v6, PLAN6, 'fd00::2'),
      });
    }
  }
  return dumps;
}
