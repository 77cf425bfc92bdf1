// kube-proxy in IPVS mode (fixtures/kernel/kube-ipvs.*, generated from kube-ipvs.yaml by
// src/kube/ipvs.ts). This kernel has no IPVS (CONFIG_IP_VS is not set), so what is proven is the
// iptables + ipset half: the VIPs are bound to kube-ipvs0 as kube-proxy binds them, a packet to one
// is delivered locally where IPVS would have taken it, and the simulator runs with the same sets
// and no IPVS state. The leg IPVS re-injects into LOCAL_OUT after its DNAT (where KUBE-LOOP-BACK
// acts) is sent as a local packet from the endpoint's address (IP_TRANSPARENT).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DumpSpec, KernelCase } from './cases';

const NODE = '192.168.0.2';
const CLIENT = '192.168.0.1';
const IN_RANGE = '203.0.113.7';
const OUT_OF_RANGE = '198.51.100.9';
const POD = '10.244.0.5';
const WEB_POD = '10.244.0.6';
const TERMINATING_POD = '10.244.0.7';

/** The addresses kube-proxy binds to kube-ipvs0: the KUBE-IPVS-IPS set of the fixture. */
function boundAddresses(): string[] {
  const text = readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'kernel', 'kube-ipvs.ipset'), 'utf8');
  return [...text.matchAll(/^add KUBE-IPVS-IPS (\S+)$/gm)].map((m) => m[1]);
}

type From = 'pod' | 'ext' | 'far' | 'outside' | 'local' | 'lo';
const SOURCES: Record<From, Pick<KernelCase, 'origin' | 'src'>> = {
  pod: { origin: 'pod', src: POD },
  ext: { origin: 'external', src: CLIENT },
  far: { origin: 'external', src: IN_RANGE },
  outside: { origin: 'external', src: OUT_OF_RANGE },
  local: { origin: 'local', src: NODE },
  lo: { origin: 'local', src: '127.0.0.1' },
};

function c(
  what: string,
  from: From | Pick<KernelCase, 'origin' | 'src'>,
  dst: string,
  dport: number,
  proto: 'tcp' | 'udp' = 'tcp',
  extra: Partial<KernelCase> = {},
): KernelCase {
  const source = typeof from === 'string' ? SOURCES[from] : from;
  return {
    name: `${what}: ${source.origin} ${source.src} → ${dst}:${dport}/${proto}`,
    ...source,
    proto,
    dst,
    dport,
    ...extra,
  };
}

/** The re-injected leg: after IPVS's DNAT the packet leaves LOCAL_OUT with the endpoint as destination. */
const reinjected = (what: string, src: string, dst: string, dport: number, proto: 'tcp' | 'udp' = 'tcp') =>
  c(`${what} (the leg IPVS re-injects)`, { origin: 'local', src }, dst, dport, proto, {
    // KUBE-LOOP-BACK (dst,dst,src) masquerades exactly the packets whose source is their destination.
    expect: { src: src === dst ? '10.244.0.1' : src },
  });

const cases: KernelCase[] = [
  // ClusterIP
  c('ClusterIP UDP from a pod', 'pod', '10.96.0.10', 53, 'udp'),
  c('ClusterIP TCP from a pod', 'pod', '10.96.0.10', 53),
  c('ClusterIP UDP from off-cluster (masquerade mark)', 'ext', '10.96.0.10', 53, 'udp'),
  c('ClusterIP TCP from off-cluster', 'ext', '10.96.0.10', 53),
  c('ClusterIP from the node', 'local', '10.96.0.10', 53),
  c(
    'ClusterIP from the node with the VIP as source (kube-ipvs0)',
    { origin: 'local', src: '10.96.0.10' },
    '10.96.0.10',
    53,
    'udp',
  ),
  c('ClusterIP NodePort service from a pod', 'pod', '10.96.0.20', 80),
  c('ClusterIP NodePort service from off-cluster', 'ext', '10.96.0.20', 80),
  c('ClusterIP from localhost returns early', 'lo', '10.96.0.20', 80),
  c('ClusterIP on a port no service has is rejected (KUBE-IPVS-FILTER)', 'pod', '10.96.0.20', 22, 'tcp', {
    expect: { verdict: 'REJECT' },
  }),
  c('ClusterIP with the wrong protocol is rejected', 'ext', '10.96.0.21', 514, 'tcp'),
  c('ClusterIP with a port of another service is rejected', 'ext', '10.96.0.10', 80),
  c('UDP ClusterIP from a pod', 'pod', '10.96.0.21', 514, 'udp'),
  c('UDP ClusterIP from off-cluster', 'ext', '10.96.0.21', 514, 'udp'),
  // NodePort
  c('NodePort TCP from the uplink', 'ext', NODE, 30080),
  c('NodePort TCP from a far client', 'far', NODE, 30080),
  c('NodePort TCP from a pod', 'pod', NODE, 30080),
  c('NodePort TCP from the node', 'local', NODE, 30080),
  c('NodePort on localhost returns early', 'lo', '127.0.0.1', 30080),
  c('NodePort on the pod bridge address', 'pod', '10.244.0.1', 30080),
  c('NodePort of a LoadBalancer', 'ext', NODE, 30081),
  c('NodePort of a LoadBalancer with source ranges (they do not apply)', 'outside', NODE, 30443),
  c('NodePort of a service without endpoints', 'ext', NODE, 30084),
  c('a port no NodePort has', 'ext', NODE, 31999),
  c('NodePort UDP from the uplink', 'ext', NODE, 30514, 'udp'),
  c('NodePort UDP from a pod', 'pod', NODE, 30514, 'udp'),
  c('NodePort UDP from the node', 'local', NODE, 30514, 'udp'),
  c('NodePort UDP, externalTrafficPolicy Local', 'ext', NODE, 30053, 'udp'),
  c('a TCP NodePort hit by UDP (bitmap:port needs -p)', 'ext', NODE, 30080, 'udp'),
  // LoadBalancer without source ranges
  c('LoadBalancer IP from outside', 'ext', '1.2.3.4', 80),
  c('LoadBalancer IP from a pod', 'pod', '1.2.3.4', 80),
  c('LoadBalancer IP from the node', 'local', '1.2.3.4', 80),
  c('LoadBalancer IP on a port it does not serve is rejected', 'ext', '1.2.3.4', 443),
  // LoadBalancer with source ranges
  c('LoadBalancer source range allows', 'far', '1.2.3.5', 443),
  c('LoadBalancer source range drops', 'outside', '1.2.3.5', 443, 'tcp', { expect: { verdict: 'DROP' } }),
  c('LoadBalancer source range holding the node subnet', 'ext', '1.2.3.5', 443),
  c('LoadBalancer source range drops a pod', 'pod', '1.2.3.5', 443),
  c('LoadBalancer source range from the node', 'local', '1.2.3.5', 443),
  c(
    'LoadBalancer with the VIP as source (KUBE-LOAD-BALANCER-SOURCE-IP)',
    { origin: 'local', src: '1.2.3.5' },
    '1.2.3.5',
    443,
  ),
  c('LoadBalancer, range without the node: allowed source', 'far', '1.2.3.6', 8443),
  c('LoadBalancer, range without the node: other source', 'ext', '1.2.3.6', 8443, 'tcp', {
    expect: { verdict: 'DROP' },
  }),
  c('LoadBalancer, range without the node: from the node', 'local', '1.2.3.6', 8443),
  // externalTrafficPolicy Local
  c('LoadBalancer eTP=Local from outside (no masquerade)', 'ext', '1.2.3.7', 80),
  c('LoadBalancer eTP=Local from a pod', 'pod', '1.2.3.7', 80),
  c('NodePort eTP=Local (KUBE-NODE-PORT-LOCAL-TCP)', 'ext', NODE, 30082),
  c('health check node port', 'ext', NODE, 32000),
  c('health check node port from the node', 'local', NODE, 32000),
  c('NodePort eTP=Local without local endpoints', 'far', NODE, 30083),
  c('ClusterIP of an eTP=Local LoadBalancer', 'pod', '10.96.0.40', 80),
  // External IPs
  c('external IP from outside', 'ext', '192.168.99.33', 80),
  c('external IP from a pod', 'pod', '192.168.99.33', 80),
  c('external IP from the node', 'local', '192.168.99.33', 80),
  c('external IP eTP=Local from outside', 'ext', '192.168.99.34', 80),
  c('external IP eTP=Local from the node', 'local', '192.168.99.34', 80),
  c('external IP on a port it does not serve is rejected', 'ext', '192.168.99.33', 81),
  // ClientIP affinity (persistence lives in IPVS: the iptables walk is the plain one)
  c('ClientIP affinity ClusterIP from a pod', 'pod', '10.96.0.50', 80),
  c('ClientIP affinity ClusterIP from outside', 'ext', '10.96.0.50', 80),
  c('ClientIP affinity NodePort', 'far', NODE, 30085),
  // No endpoints: IPVS would answer; the rules are the same
  c('service without endpoints from a pod', 'pod', '10.96.0.60', 80),
  c('service without endpoints from outside', 'ext', '10.96.0.60', 80),
  c('service without endpoints from the node', 'local', '10.96.0.60', 80),
  // Hairpin: a pod reaching itself through its own service
  c('hairpin, first leg', 'pod', '10.96.0.10', 53),
  reinjected('hairpin TCP → KUBE-LOOP-BACK masquerades', POD, POD, 53),
  reinjected('hairpin UDP → KUBE-LOOP-BACK masquerades', POD, POD, 53, 'udp'),
  c('hairpin of the web pod, first leg', { origin: 'pod', src: WEB_POD }, '10.96.0.20', 80),
  reinjected('hairpin of the web pod', WEB_POD, WEB_POD, 8080),
  reinjected('a terminating local endpoint is still in KUBE-LOOP-BACK', TERMINATING_POD, TERMINATING_POD, 8080),
  reinjected('pod to another pod is no hairpin', POD, WEB_POD, 8080),
];

export const kubeIpvs: DumpSpec = {
  name: 'kube-ipvs',
  fixture: 'kube-ipvs.rules',
  ipsets: 'kube-ipvs.ipset',
  topology: {
    clientAddrs: [IN_RANGE, OUT_OF_RANGE],
    podAddrs: [WEB_POD, TERMINATING_POD],
    localAddrs: boundAddresses(),
  },
  cases,
};

// ---- ipset-edges: the corners of -m set, on rules without a target (each match is printed as CONTINUE) ----

const edge = (
  what: string,
  src: string,
  dport: number,
  proto: 'tcp' | 'udp' = 'tcp',
  extra: Partial<KernelCase> = {},
) => c(what, { origin: 'external', src }, NODE, dport, proto, extra);

export const ipsetEdges: DumpSpec = {
  name: 'ipset-edges',
  fixture: 'ipset-edges.rules',
  ipsets: 'ipset-edges.ipset',
  topology: { clientAddrs: ['192.168.0.7', '203.0.113.7', '203.0.113.200', OUT_OF_RANGE] },
  cases: [
    edge('ip,port,net: a more specific nomatch entry wins; ip,port,ip with its third dimension', CLIENT, 80),
    edge('ip,port,net: the covering entry matches another source', '192.168.0.7', 80),
    edge('ip,port: the protocol is part of the port (udp:53)', CLIENT, 53, 'udp'),
    edge('ip,port: TCP does not match a udp: entry; bitmap:port holds either', CLIENT, 53, 'tcp'),
    edge('hash:net: the covering net matches', '203.0.113.7', 80),
    edge('hash:net: a more specific nomatch net does not', '203.0.113.200', 80),
    edge('ip,port: a port range entry', CLIENT, 1001),
    edge('dst,src takes the port from the source', CLIENT, 9999, 'tcp', { sport: 80 }),
    edge('bitmap:port matches UDP as well', CLIENT, 80, 'udp'),
    edge('a source in no set', OUT_OF_RANGE, 80),
  ],
};
