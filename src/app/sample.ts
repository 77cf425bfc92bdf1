import sampleRules from '../../fixtures/samples/iptables-node.rules?raw';
import sampleYaml from '../../fixtures/samples/iptables-node.yaml?raw';
import ipvsRules from '../../fixtures/samples/ipvs-node.txt?raw';
import type { NodeContext, Packet } from '../model';

// The node the app opens with: kube-proxy (iptables mode) on node-1 (192.168.56.10 on eth0,
// pods 10.244.0.0/24 on cni0) of a three-node cluster. fixtures/samples/iptables-node.yaml holds its
// Services and EndpointSlices; iptables-node.rules beside it is what `chainwalk generate` writes
// for them (src/sample.test.ts keeps the two in step):
//   default/kubernetes:https  ClusterIP 10.96.0.1:443 → the node itself, 192.168.56.10:6443
//   default/web:http          ClusterIP 10.96.12.34:80, NodePort 30080 → 3 pods, one on this node (hairpin)
//   shop/frontend:http        LoadBalancer 203.0.113.10:80, only from 198.51.100.0/24
//   shop/api:http             LoadBalancer 203.0.113.20:8080, externalTrafficPolicy Local, a pod here
//   shop/reports:http         NodePort 31090, externalTrafficPolicy Local, no pod here
//   shop/cart:redis           ClusterIP 10.96.50.5:6379 without endpoints
export const sampleDump = sampleRules;
export { sampleYaml };

/** The packet traced on opening: a pod on this node calls default/web's cluster IP. */
export const samplePacket: Packet = {
  origin: 'pod',
  proto: 'tcp',
  src: '10.244.0.12',
  sport: 40000,
  dst: '10.96.12.34',
  dport: 80,
};

/** The sample node: its IP on eth0 and this node's share of the pod CIDR. */
export const sampleContext: Partial<NodeContext> = { nodeIPs: ['192.168.56.10/24'], podCIDR: '10.244.0.0/24' };

export interface Scenario {
  label: string;
  packet: Packet;
}

const outside = (src: string, dst: string, dport: number): Packet => ({
  origin: 'external',
  proto: 'tcp',
  src,
  sport: 51000,
  dst,
  dport,
});

/** Packets that show each thing the sample teaches, in the order a workshop would take them. */
export const sampleScenarios: Scenario[] = [
  { label: 'A pod calls a ClusterIP (3 pods, split at random)', packet: samplePacket },
  {
    label: 'Hairpin: a pod calls its own Service and may reach itself',
    packet: { ...samplePacket, src: '10.244.0.5' },
  },
  {
    label: 'A process on the node calls the API server’s ClusterIP',
    packet: { origin: 'local', proto: 'tcp', src: '192.168.56.10', sport: 45000, dst: '10.96.0.1', dport: 443 },
  },
  { label: 'NodePort from outside (masqueraded)', packet: outside('192.0.2.10', '192.168.56.10', 30080) },
  {
    label: 'LoadBalancer from an allowed source range',
    packet: outside('198.51.100.7', '203.0.113.10', 80),
  },
  {
    label: 'LoadBalancer from a source outside its ranges (dropped)',
    packet: outside('192.0.2.10', '203.0.113.10', 80),
  },
  {
    label: 'externalTrafficPolicy Local: kept on this node, source kept',
    packet: outside('192.0.2.10', '203.0.113.20', 8080),
  },
  {
    label: 'externalTrafficPolicy Local, no pod here: dropped',
    packet: outside('192.0.2.10', '192.168.56.10', 31090),
  },
  {
    label: 'A Service without endpoints: rejected',
    packet: { ...samplePacket, dst: '10.96.50.5', dport: 6379 },
  },
];

/** The same node in kube-proxy's IPVS mode: iptables-save, ipset save and ipvsadm-save -n in one paste. */
export const ipvsSampleDump = ipvsRules;

/** What the IPVS sample shows: the same Services, now scheduled by IPVS. */
export const ipvsScenarios: Scenario[] = [
  { label: 'A pod calls a ClusterIP: ipset match, then IPVS picks one of 3 pods', packet: samplePacket },
  {
    label: 'Hairpin: a pod reaches itself through IPVS, masqueraded by KUBE-LOOP-BACK',
    packet: { ...samplePacket, src: '10.244.0.5' },
  },
  {
    label: 'A process on the node calls the API server (IPVS at LOCAL_OUT)',
    packet: { origin: 'local', proto: 'tcp', src: '192.168.56.10', sport: 45000, dst: '10.96.0.1', dport: 443 },
  },
  {
    label: 'NodePort from outside (KUBE-NODE-PORT-TCP, masqueraded)',
    packet: outside('192.0.2.10', '192.168.56.10', 30080),
  },
  {
    label: 'LoadBalancer from an allowed source range (KUBE-LOAD-BALANCER-SOURCE-CIDR)',
    packet: outside('198.51.100.7', '203.0.113.10', 80),
  },
  {
    label: 'LoadBalancer from a source outside its ranges (dropped)',
    packet: outside('192.0.2.10', '203.0.113.10', 80),
  },
  {
    label: 'externalTrafficPolicy Local: the pod on this node, source kept',
    packet: outside('192.0.2.10', '203.0.113.20', 8080),
  },
  {
    label: 'A Service without endpoints: IPVS has no real server',
    packet: { ...samplePacket, dst: '10.96.50.5', dport: 6379 },
  },
];

export interface Sample {
  id: string;
  label: string;
  dump: string;
  scenarios: Scenario[];
}

/** The built-in samples, first the one the app opens with. */
export const samples: Sample[] = [
  { id: 'iptables', label: 'iptables-mode node', dump: sampleDump, scenarios: sampleScenarios },
  { id: 'ipvs', label: 'IPVS-mode node (iptables + ipset + ipvsadm)', dump: ipvsSampleDump, scenarios: ipvsScenarios },
];

/** The built-in sample the page shows, if it shows one (a big dump in the worker is never one). */
export function currentSample(state: { dumpText: string; bigDump: unknown }): Sample | undefined {
  return state.bigDump ? undefined : samples.find((x) => x.dump === state.dumpText);
}
