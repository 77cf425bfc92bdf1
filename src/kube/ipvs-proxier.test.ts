// kube-proxy's own expectations for its IPVS proxier (kubernetes/kubernetes
// pkg/proxy/ipvs/proxier_test.go), ported: the same Services and EndpointSlices as YAML, the same
// fake node (NewFakeProxier: node test-node, the no-op local-traffic detector, rr, its node IPs
// on a fake eth0), and the expected virtual servers, ipset entries and iptables jumps checked the
// way the Go tests check them: the IPVS state compared whole where the test uses
// reflect.DeepEqual (ipvstest.FakeIPVS), ipset entries as sets (checkIPSet), and jumps by
// presence in their chain (checkIptables / hasJump: target plus match set).
import { describe, expect, test } from 'vitest';
import { generateFromYaml, type KubeProxyOptions, type VirtualServer } from './index';
import type { KubeRule } from './rules';

interface Port {
  name: string;
  port: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  nodePort?: number;
}

interface ServiceSpec {
  ns?: string;
  name: string;
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  clusterIP: string;
  ports: Port[];
  externalIPs?: string[];
  eTP?: 'Local';
  healthCheckNodePort?: number;
  lbIPs?: string[];
  sourceRanges?: string[];
  iTP?: 'Local' | 'Cluster';
  affinity?: number;
}

const portYaml = (p: Port) =>
  `    - {name: '${p.name}', port: ${p.port}, protocol: ${p.protocol ?? 'TCP'}${p.nodePort ? `, nodePort: ${p.nodePort}` : ''}}`;

function service(s: ServiceSpec): string {
  return [
    '---',
    'apiVersion: v1',
    'kind: Service',
    `metadata: {namespace: ${s.ns ?? 'ns1'}, name: ${s.name}}`,
    'spec:',
    `  type: ${s.type ?? 'ClusterIP'}`,
    `  clusterIP: ${s.clusterIP}`,
    ...(s.externalIPs ? [`  externalIPs: [${s.externalIPs.join(', ')}]`] : []),
    ...(s.eTP ? [`  externalTrafficPolicy: ${s.eTP}`] : []),
    ...(s.iTP ? [`  internalTrafficPolicy: ${s.iTP}`] : []),
    ...(s.affinity
      ? ['  sessionAffinity: ClientIP', `  sessionAffinityConfig: {clientIP: {timeoutSeconds: ${s.affinity}}}`]
      : []),
    ...(s.healthCheckNodePort ? [`  healthCheckNodePort: ${s.healthCheckNodePort}`] : []),
    ...(s.sourceRanges ? [`  loadBalancerSourceRanges: [${s.sourceRanges.join(', ')}]`] : []),
    '  ports:',
    ...s.ports.map(portYaml),
    ...(s.lbIPs ? ['status:', '  loadBalancer:', '    ingress:', ...s.lbIPs.map((ip) => `      - ip: ${ip}`)] : []),
  ].join('\n');
}

interface Ep {
  ip: string;
  node?: string;
  /** ready, serving, terminating; omitted: ready */
  cond?: [boolean, boolean, boolean];
}

function slice(name: string, addressType: 'IPv4' | 'IPv6', endpoints: Ep[], ports: Port[], ns = 'ns1'): string {
  return [
    '---',
    'apiVersion: discovery.k8s.io/v1',
    'kind: EndpointSlice',
    `metadata: {namespace: ${ns}, name: ${name}-1, labels: {kubernetes.io/service-name: ${name}}}`,
    `addressType: ${addressType}`,
    'ports:',
    ...ports.map((p) => `  - {name: '${p.name}', port: ${p.port}, protocol: ${p.protocol ?? 'TCP'}}`),
    'endpoints:',
    ...endpoints.map(
      (e) =>
        `  - {addresses: ['${e.ip}']${e.node ? `, nodeName: ${e.node}` : ''}${
          e.cond ? `, conditions: {ready: ${e.cond[0]}, serving: ${e.cond[1]}, terminating: ${e.cond[2]}}` : ''
        }}`,
    ),
  ].join('\n');
}

interface Jump {
  jump: string;
  set?: string;
  source?: string;
}

interface PortedCase {
  test: string;
  yaml: string[];
  /** The fake netlink's eth0 addresses (or what the fake network gives with --nodeport-addresses). */
  nodeIPs?: string[];
  nodePortAddresses?: string[];
  family?: 4 | 6;
  /** reflect.DeepEqual of the whole FakeIPVS: virtual server → its real servers. */
  ipvs?: Record<string, string[]>;
  /** checkIPVS: how many virtual servers, and the real servers of some. */
  vsCount?: number;
  someVS?: Record<string, string[]>;
  /** Every real server of these virtual servers is one of these (a Go loop over destinations). */
  realServersAmong?: Record<string, string[]>;
  ipsets?: Record<string, string[]>;
  chains?: Record<string, Jump[]>;
  /** Every virtual server is persistent with this timeout (ClientIP affinity). */
  allPersistent?: number;
}

const p80: Port = { name: 'p80', port: 80 };
const np = (protocol: 'TCP' | 'UDP' | 'SCTP', nodePort = 3001): Port => ({ ...p80, protocol, nodePort });
const SERVICES_JUMPS: Jump[] = [
  { jump: 'RETURN', source: '127.0.0.0/8' },
  { jump: 'KUBE-MARK-MASQ', set: 'KUBE-CLUSTER-IP' },
  { jump: 'KUBE-NODE-PORT' },
  { jump: 'ACCEPT', set: 'KUBE-CLUSTER-IP' },
];
const LB_SERVICES_JUMPS: Jump[] = [
  ...SERVICES_JUMPS,
  { jump: 'KUBE-LOAD-BALANCER', set: 'KUBE-LOAD-BALANCER' },
  { jump: 'ACCEPT', set: 'KUBE-LOAD-BALANCER' },
];

const CASES: PortedCase[] = [
  {
    test: 'TestNodePortIPv4/1 service with node port, has 2 endpoints',
    yaml: [
      service({ name: 'svc1', type: 'NodePort', clusterIP: '10.20.30.41', ports: [np('TCP')] }),
      slice('svc1', 'IPv4', [{ ip: '10.180.0.1' }], [p80]),
      slice('svc1', 'IPv6', [{ ip: '1002:ab8::2:10' }], [p80]),
    ],
    nodeIPs: ['100.101.102.103', '2001:db8::1:1'],
    ipvs: { 'TCP/10.20.30.41:80': ['10.180.0.1:80'], 'TCP/100.101.102.103:3001': ['10.180.0.1:80'] },
  },
  {
    test: 'TestNodePortIPv4/1 UDP service with node port, has endpoints',
    yaml: [
      service({ name: 'svc1', type: 'NodePort', clusterIP: '10.20.30.41', ports: [np('UDP')] }),
      slice('svc1', 'IPv4', [{ ip: '10.180.0.1' }], [{ ...p80, protocol: 'UDP' }]),
    ],
    nodeIPs: ['100.101.102.103'],
    nodePortAddresses: ['0.0.0.0/0'],
    ipvs: { 'UDP/10.20.30.41:80': ['10.180.0.1:80'], 'UDP/100.101.102.103:3001': ['10.180.0.1:80'] },
    ipsets: { 'KUBE-NODE-PORT-UDP': ['3001'] },
    chains: {
      'KUBE-NODE-PORT': [
        { jump: 'KUBE-MARK-MASQ', set: 'KUBE-NODE-PORT-UDP' },
        { jump: 'ACCEPT', set: 'KUBE-HEALTH-CHECK-NODE-PORT' },
      ],
      'KUBE-SERVICES': SERVICES_JUMPS,
    },
  },
  {
    test: 'TestNodePortIPv4/service has node port but no endpoints',
    yaml: [service({ name: 'svc1', type: 'NodePort', clusterIP: '10.20.30.41', ports: [np('TCP')] })],
    nodeIPs: ['100.101.102.103'],
    ipvs: { 'TCP/10.20.30.41:80': [], 'TCP/100.101.102.103:3001': [] },
  },
  {
    test: 'TestNodePortIPv4/node port service with protocol sctp on a node with multiple nodeIPs',
    yaml: [
      service({ name: 'svc1', type: 'NodePort', clusterIP: '10.20.30.41', ports: [np('SCTP')] }),
      slice('svc1', 'IPv4', [{ ip: '10.180.0.1' }], [{ ...p80, protocol: 'SCTP' }]),
    ],
    nodeIPs: [
      '100.101.102.103',
      '100.101.102.104',
      '100.101.102.105',
      '2001:db8::1:1',
      '2001:db8::1:2',
      '2001:db8::1:3',
    ],
    ipvs: {
      'SCTP/10.20.30.41:80': ['10.180.0.1:80'],
      'SCTP/100.101.102.103:3001': ['10.180.0.1:80'],
      'SCTP/100.101.102.104:3001': ['10.180.0.1:80'],
      'SCTP/100.101.102.105:3001': ['10.180.0.1:80'],
    },
    ipsets: {
      'KUBE-NODE-PORT-SCTP-HASH': [
        '100.101.102.103,sctp:3001',
        '100.101.102.104,sctp:3001',
        '100.101.102.105,sctp:3001',
      ],
    },
  },
  {
    test: 'TestNodePortIPv4/node port service with protocol sctp and externalTrafficPolicy local',
    yaml: [
      service({ name: 'svc1', type: 'NodePort', clusterIP: '10.20.30.41', ports: [np('SCTP')], eTP: 'Local' }),
      slice(
        'svc1',
        'IPv4',
        [
          { ip: '10.180.0.1', node: 'test-node' },
          { ip: '10.180.1.1', node: 'other-node' },
        ],
        [{ ...p80, protocol: 'SCTP' }],
      ),
    ],
    nodeIPs: ['100.101.102.103'],
    ipvs: {
      'SCTP/10.20.30.41:80': ['10.180.0.1:80', '10.180.1.1:80'],
      'SCTP/100.101.102.103:3001': ['10.180.0.1:80'],
    },
    ipsets: {
      'KUBE-NODE-PORT-SCTP-HASH': ['100.101.102.103,sctp:3001'],
      'KUBE-NODE-PORT-LOCAL-SCTP-HASH': ['100.101.102.103,sctp:3001'],
    },
    chains: {
      'KUBE-NODE-PORT': [
        { jump: 'RETURN', set: 'KUBE-NODE-PORT-LOCAL-SCTP-HASH' },
        { jump: 'KUBE-MARK-MASQ', set: 'KUBE-NODE-PORT-SCTP-HASH' },
        { jump: 'ACCEPT', set: 'KUBE-HEALTH-CHECK-NODE-PORT' },
      ],
    },
  },
  {
    test: 'TestNodePortIPv6/1 service with node port, has 2 endpoints',
    family: 6,
    yaml: [
      service({ name: 'svc1', type: 'NodePort', clusterIP: '2020::1', ports: [np('TCP')] }),
      slice('svc1', 'IPv4', [{ ip: '10.180.0.1' }], [p80]),
      slice('svc1', 'IPv6', [{ ip: '1002:ab8::2:10' }], [p80]),
    ],
    nodeIPs: ['100.101.102.103', '2001:db8::1:1'],
    ipvs: { 'TCP/[2001:db8::1:1]:3001': ['[1002:ab8::2:10]:80'], 'TCP/[2020::1]:80': ['[1002:ab8::2:10]:80'] },
  },
  {
    test: 'TestNodePortIPv6/1 UDP service with node port, has endpoints (no action on IPv6 Proxier)',
    family: 6,
    yaml: [
      service({ name: 'svc1', type: 'NodePort', clusterIP: '10.20.30.41', ports: [np('UDP')] }),
      slice('svc1', 'IPv6', [{ ip: '10.180.0.1' }], [{ ...p80, protocol: 'UDP' }]),
    ],
    nodeIPs: ['100.101.102.103'],
    nodePortAddresses: ['0.0.0.0/0'],
    ipvs: {},
  },
  {
    test: 'TestIPv4Proxier/2 services with Cluster IP, each with endpoints',
    yaml: [
      service({ name: 'svc1', clusterIP: '10.20.30.41', ports: [p80] }),
      service({ ns: 'ns2', name: 'svc2', clusterIP: '1002:ab8::2:1', ports: [{ name: 'p8080', port: 8080 }] }),
      slice('svc1', 'IPv4', [{ ip: '10.180.0.1' }], [p80]),
      slice('svc2', 'IPv6', [{ ip: '1009:ab8::5:6' }], [{ name: 'p8080', port: 8080 }], 'ns2'),
    ],
    ipvs: { 'TCP/10.20.30.41:80': ['10.180.0.1:80'] },
  },
  {
    test: 'TestIPv4Proxier/cluster IP service with no endpoints',
    yaml: [service({ name: 'svc1', clusterIP: '10.20.30.41', ports: [p80] })],
    ipvs: { 'TCP/10.20.30.41:80': [] },
  },
  {
    test: 'TestIPv6Proxier/2 services with Cluster IP, each with endpoints',
    family: 6,
    yaml: [
      service({ name: 'svc1', clusterIP: '10.20.30.41', ports: [p80] }),
      service({ ns: 'ns2', name: 'svc2', clusterIP: '1002:ab8::2:1', ports: [{ name: 'p8080', port: 8080 }] }),
      slice('svc1', 'IPv4', [{ ip: '10.180.0.1' }], [p80]),
      slice('svc2', 'IPv6', [{ ip: '1009:ab8::5:6' }], [{ name: 'p8080', port: 8080 }], 'ns2'),
    ],
    ipvs: { 'TCP/[1002:ab8::2:1]:8080': ['[1009:ab8::5:6]:8080'] },
  },
  {
    test: 'TestIPv6Proxier/cluster IP service with no endpoints',
    family: 6,
    yaml: [service({ name: 'svc1', clusterIP: '2001::1', ports: [p80] })],
    ipvs: { 'TCP/[2001::1]:80': [] },
  },
  {
    test: 'TestExternalIPsNoEndpoint',
    yaml: [service({ name: 'svc1', clusterIP: '10.20.30.41', externalIPs: ['50.60.70.81'], ports: [p80] })],
    vsCount: 2,
    someVS: { 'TCP/50.60.70.81:80': [] },
  },
  {
    test: 'TestExternalIPs',
    yaml: [
      service({
        name: 'svc1',
        clusterIP: '10.20.30.41',
        externalIPs: ['50.60.70.81', '2012::51', '127.0.0.1'],
        ports: [p80],
      }),
      // The slice's port is UDP: it matches no TCP service port.
      slice('svc1', 'IPv4', [{ ip: '10.180.0.1' }], [{ ...p80, protocol: 'UDP' }]),
    ],
    vsCount: 3,
    realServersAmong: { 'TCP/50.60.70.81:80': ['10.180.0.1:80'], 'TCP/127.0.0.1:80': ['10.180.0.1:80'] },
  },
  {
    test: 'TestOnlyLocalExternalIPs',
    yaml: [
      service({
        name: 'svc1',
        type: 'NodePort',
        clusterIP: '10.20.30.41',
        externalIPs: ['50.60.70.81', '2012::51', '127.0.0.1'],
        ports: [p80],
        eTP: 'Local',
      }),
      slice(
        'svc1',
        'IPv4',
        [
          { ip: '10.180.0.1', node: 'test-node' },
          { ip: '10.180.1.1', node: 'other-node' },
        ],
        [p80],
      ),
    ],
    vsCount: 3,
    someVS: { 'TCP/50.60.70.81:80': ['10.180.0.1:80'], 'TCP/127.0.0.1:80': ['10.180.0.1:80'] },
  },
  {
    test: 'TestLoadBalancer',
    yaml: [
      service({ name: 'svc1', type: 'LoadBalancer', clusterIP: '10.20.30.41', ports: [np('TCP')], lbIPs: ['1.2.3.4'] }),
      slice('svc1', 'IPv4', [{ ip: '10.180.0.1' }], [{ ...p80, protocol: 'UDP' }]),
    ],
    ipsets: { 'KUBE-LOAD-BALANCER': ['1.2.3.4,tcp:80'] },
    chains: { 'KUBE-SERVICES': LB_SERVICES_JUMPS, 'KUBE-LOAD-BALANCER': [{ jump: 'KUBE-MARK-MASQ' }] },
  },
  {
    test: 'TestOnlyLocalNodePorts',
    yaml: [
      service({ name: 'svc1', type: 'NodePort', clusterIP: '10.20.30.41', ports: [np('TCP')], eTP: 'Local' }),
      slice(
        'svc1',
        'IPv4',
        [
          { ip: '10.180.0.1', node: 'test-node' },
          { ip: '10.180.1.1', node: 'other-node' },
        ],
        [p80],
      ),
    ],
    nodeIPs: ['100.101.102.103'],
    nodePortAddresses: ['100.101.102.0/24'],
    vsCount: 2,
    someVS: { 'TCP/100.101.102.103:3001': ['10.180.0.1:80'] },
    ipsets: { 'KUBE-NODE-PORT-TCP': ['3001'], 'KUBE-NODE-PORT-LOCAL-TCP': ['3001'] },
    chains: {
      'KUBE-SERVICES': SERVICES_JUMPS,
      'KUBE-NODE-PORT': [
        { jump: 'RETURN', set: 'KUBE-NODE-PORT-LOCAL-TCP' },
        { jump: 'KUBE-MARK-MASQ', set: 'KUBE-NODE-PORT-TCP' },
        { jump: 'ACCEPT', set: 'KUBE-HEALTH-CHECK-NODE-PORT' },
      ],
    },
  },
  {
    test: 'TestHealthCheckNodePort',
    yaml: [
      service({
        name: 'valid-svc1',
        type: 'LoadBalancer',
        clusterIP: '10.20.30.41',
        ports: [np('TCP', 3000)],
        eTP: 'Local',
        healthCheckNodePort: 30000,
      }),
      service({
        name: 'valid-svc2',
        type: 'LoadBalancer',
        clusterIP: '10.20.30.41',
        ports: [np('TCP', 3000)],
        eTP: 'Local',
        healthCheckNodePort: 30001,
      }),
      // External traffic policy Cluster: its health check node port is not used.
      service({
        name: 'invalid-svc3',
        type: 'LoadBalancer',
        clusterIP: '10.20.30.41',
        ports: [np('TCP', 3000)],
        healthCheckNodePort: 30002,
      }),
    ],
    nodeIPs: ['100.101.102.103'],
    nodePortAddresses: ['100.101.102.0/24'],
    ipsets: { 'KUBE-HEALTH-CHECK-NODE-PORT': ['30000', '30001'] },
    chains: {
      'KUBE-NODE-PORT': [
        { jump: 'RETURN', set: 'KUBE-NODE-PORT-LOCAL-TCP' },
        { jump: 'KUBE-MARK-MASQ', set: 'KUBE-NODE-PORT-TCP' },
        { jump: 'ACCEPT', set: 'KUBE-HEALTH-CHECK-NODE-PORT' },
      ],
    },
  },
  {
    test: 'TestLoadBalancerSourceRanges',
    yaml: [
      service({
        name: 'svc1',
        type: 'LoadBalancer',
        clusterIP: '10.20.30.41',
        ports: [p80],
        lbIPs: ['1.2.3.4'],
        sourceRanges: ['10.0.0.0/8'],
      }),
      slice('svc1', 'IPv4', [{ ip: '10.180.0.1' }], [p80]),
    ],
    vsCount: 2,
    someVS: { 'TCP/1.2.3.4:80': ['10.180.0.1:80'] },
    ipsets: {
      'KUBE-LOAD-BALANCER': ['1.2.3.4,tcp:80'],
      'KUBE-LOAD-BALANCER-FW': ['1.2.3.4,tcp:80'],
      'KUBE-LOAD-BALANCER-SOURCE-CIDR': ['1.2.3.4,tcp:80,10.0.0.0/8'],
    },
    chains: {
      'KUBE-SERVICES': LB_SERVICES_JUMPS,
      'KUBE-PROXY-FIREWALL': [{ jump: 'KUBE-SOURCE-RANGES-FIREWALL', set: 'KUBE-LOAD-BALANCER-FW' }],
      'KUBE-SOURCE-RANGES-FIREWALL': [{ jump: 'RETURN', set: 'KUBE-LOAD-BALANCER-SOURCE-CIDR' }, { jump: 'DROP' }],
    },
  },
  {
    test: 'TestAcceptIPVSTraffic',
    yaml: [
      service({ name: 'svc1', clusterIP: '10.20.30.40', ports: [{ ...p80, nodePort: 80 }], externalIPs: ['5.6.7.8'] }),
      service({
        name: 'svc2',
        type: 'LoadBalancer',
        clusterIP: '10.20.30.41',
        ports: [{ ...p80, nodePort: 80 }],
        lbIPs: ['1.2.3.4'],
      }),
      service({ name: 'svc3', type: 'NodePort', clusterIP: '10.20.30.42', ports: [{ ...p80, nodePort: 80 }] }),
    ],
    chains: {
      'KUBE-SERVICES': [
        ...LB_SERVICES_JUMPS,
        { jump: 'KUBE-MARK-MASQ', set: 'KUBE-EXTERNAL-IP' },
        { jump: 'ACCEPT', set: 'KUBE-EXTERNAL-IP' },
      ],
    },
  },
  {
    test: 'TestOnlyLocalLoadBalancing',
    yaml: [
      service({
        name: 'svc1',
        type: 'LoadBalancer',
        clusterIP: '10.20.30.41',
        ports: [np('TCP')],
        lbIPs: ['1.2.3.4'],
        eTP: 'Local',
      }),
      slice(
        'svc1',
        'IPv4',
        [
          { ip: '10.180.0.1', node: 'test-node' },
          { ip: '10.180.1.1', node: 'other-node' },
        ],
        [p80],
      ),
    ],
    vsCount: 2,
    someVS: { 'TCP/1.2.3.4:80': ['10.180.0.1:80'] },
    ipsets: { 'KUBE-LOAD-BALANCER': ['1.2.3.4,tcp:80'], 'KUBE-LOAD-BALANCER-LOCAL': ['1.2.3.4,tcp:80'] },
    chains: {
      'KUBE-SERVICES': LB_SERVICES_JUMPS,
      'KUBE-LOAD-BALANCER': [{ jump: 'RETURN', set: 'KUBE-LOAD-BALANCER-LOCAL' }, { jump: 'KUBE-MARK-MASQ' }],
    },
  },
  {
    test: 'TestSessionAffinity',
    yaml: [
      service({
        name: 'svc1',
        type: 'NodePort',
        clusterIP: '10.20.30.41',
        externalIPs: ['50.60.70.81'],
        ports: [np('TCP')],
        affinity: 10800,
      }),
    ],
    nodeIPs: ['100.101.102.103'],
    vsCount: 3,
    allPersistent: 10800,
  },
  // The *E2E tests give the service port no port number (0); chainwalk's reader refuses a port 0,
  // so port 80 stands in. None of their assertions reads the virtual server's port.
  {
    test: 'TestEndpointSliceE2E (after the slice is added)',
    yaml: [
      service({ name: 'svc1', clusterIP: '172.20.1.1', ports: [{ name: '', port: 80 }] }),
      slice(
        'svc1',
        'IPv4',
        [
          { ip: '10.0.1.1', node: 'test-node' },
          { ip: '10.0.1.2', node: 'node2' },
          { ip: '10.0.1.3', node: 'node3' },
          { ip: '10.0.1.4', node: 'node3', cond: [false, false, false] },
        ],
        [{ name: '', port: 80 }],
      ),
    ],
    vsCount: 1,
    someVS: { 'TCP/172.20.1.1:80': ['10.0.1.1:80', '10.0.1.2:80', '10.0.1.3:80'] },
    ipsets: { 'KUBE-LOOP-BACK': ['10.0.1.1,tcp:80,10.0.1.1'] },
  },
  ...(
    [
      ['cluster with non-zero local endpoints', 'Cluster', 'test-node', ['10.0.1.1:80', '10.0.1.2:80', '10.0.1.3:80']],
      ['cluster with zero local endpoints', 'Cluster', 'node0', null],
      ['local with non-zero local endpoints', 'Local', 'test-node', ['10.0.1.1:80']],
      ['local with zero local endpoints', 'Local', 'node0', null],
    ] as const
  ).map(
    ([what, iTP, firstNode, realServers]): PortedCase => ({
      test: `TestTestInternalTrafficPolicyE2E/internalTrafficPolicy is ${what}`,
      yaml: [
        service({ name: 'svc1', clusterIP: '172.20.1.1', ports: [{ name: '', port: 80 }], iTP }),
        slice(
          'svc1',
          'IPv4',
          [
            { ip: '10.0.1.1', node: firstNode },
            { ip: '10.0.1.2', node: 'node1' },
            { ip: '10.0.1.3', node: 'node2' },
          ],
          [{ name: '', port: 80 }],
        ),
      ],
      ipsets: { 'KUBE-LOOP-BACK': firstNode === 'test-node' ? ['10.0.1.1,tcp:80,10.0.1.1'] : [] },
      ...(realServers ? { vsCount: 1, someVS: { 'TCP/172.20.1.1:80': [...realServers] } } : {}),
    }),
  ),
  ...(
    [
      [
        'Test_EndpointSliceReadyAndTerminatingCluster',
        undefined,
        [
          [true, true, false, 'test-node'],
          [true, true, false, 'test-node'],
          [false, true, true, 'test-node'],
          [false, false, true, 'test-node'],
          [true, true, false, 'another-node'],
        ],
        ['10.0.1.1:80', '10.0.1.2:80', '10.0.1.5:80'],
        ['10.0.1.1:80', '10.0.1.2:80', '10.0.1.5:80'],
      ],
      [
        'Test_EndpointSliceReadyAndTerminatingLocal',
        'Local',
        [
          [true, true, false, 'test-node'],
          [true, true, false, 'test-node'],
          [false, true, true, 'test-node'],
          [false, false, true, 'test-node'],
          [true, true, false, 'another-node'],
        ],
        ['10.0.1.1:80', '10.0.1.2:80', '10.0.1.5:80'],
        ['10.0.1.1:80', '10.0.1.2:80'],
      ],
      [
        'Test_EndpointSliceOnlyReadyAndTerminatingCluster',
        undefined,
        [
          [false, true, true, 'test-node'],
          [false, true, true, 'test-node'],
          [false, false, true, 'test-node'],
          [false, true, true, 'another-node'],
          [false, false, false, 'another-node'],
        ],
        ['10.0.1.1:80', '10.0.1.2:80', '10.0.1.4:80'],
        ['10.0.1.1:80', '10.0.1.2:80', '10.0.1.4:80'],
      ],
      [
        'Test_EndpointSliceOnlyReadyAndTerminatingLocal',
        'Local',
        [
          [false, true, true, 'test-node'],
          [false, true, true, 'test-node'],
          [false, false, true, 'test-node'],
          [false, true, true, 'another-node'],
          [true, true, false, 'another-node'],
        ],
        ['10.0.1.5:80'],
        ['10.0.1.1:80', '10.0.1.2:80'],
      ],
    ] as const
  ).map(
    ([test, eTP, eps, clusterRS, externalRS]): PortedCase => ({
      test,
      yaml: [
        service({
          name: 'svc1',
          type: 'NodePort',
          clusterIP: '172.20.1.1',
          externalIPs: ['1.2.3.4'],
          ports: [{ name: '', port: 80 }],
          eTP,
          iTP: 'Cluster',
        }),
        slice(
          'svc1',
          'IPv4',
          eps.map(([ready, serving, terminating, node], i) => ({
            ip: `10.0.1.${i + 1}`,
            node,
            cond: [ready, serving, terminating] as [boolean, boolean, boolean],
          })),
          [{ name: '', port: 80 }],
        ),
      ],
      vsCount: 2,
      someVS: { 'TCP/172.20.1.1:80': [...clusterRS], 'TCP/1.2.3.4:80': [...externalRS] },
      // Every local endpoint, whatever its conditions.
      ipsets: {
        'KUBE-LOOP-BACK': eps.flatMap(([, , , node], i) =>
          node === 'test-node' ? [`10.0.1.${i + 1},tcp:80,10.0.1.${i + 1}`] : [],
        ),
      },
    }),
  ),
];

/** NewFakeProxier: test-node, the no-op detector (no cluster CIDR), no --random-fully, nothing allocated. */
const FAKE_PROXIER: KubeProxyOptions = {
  nodeName: 'test-node',
  clusterCIDR: null,
  randomFully: false,
  allocate: false,
  jumpRules: false,
};

const hostPort = (address: string, port: number) =>
  address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
const vsKey = (vs: VirtualServer) => `${vs.protocol}/${hostPort(vs.address, vs.port)}`;

function run(c: PortedCase) {
  const result = generateFromYaml(c.yaml.join('\n'), {
    ...FAKE_PROXIER,
    mode: 'ipvs',
    nodeIPs: c.nodeIPs ?? [],
    nodePortAddresses: c.nodePortAddresses ?? [],
  });
  const ipvs = c.family === 6 ? result.ipvs6 : result.ipvs;
  const persistent = (ipvs?.virtualServers ?? []).map((vs) => vs.persistentTimeout);
  const virtualServers = new Map(
    (ipvs?.virtualServers ?? []).map((vs) => [
      vsKey(vs),
      vs.realServers.map((rs) => hostPort(rs.address, rs.port)).sort(),
    ]),
  );
  const ruleset = c.family === 6 ? result.ipv6?.ruleset : result.ruleset;
  const rules: KubeRule[] = ruleset ? [...ruleset.nat.rules, ...ruleset.filter.rules] : [];
  return { virtualServers, ipsets: ipvs?.ipsets ?? [], rules, persistent, restore: result.restore };
}

/** hasJump: a rule of the chain with this target and (if given) this match set; SourceAddress as -s. */
function hasJump(rules: readonly KubeRule[], chain: string, jump: Jump): boolean {
  return rules.some((r) => {
    if (r.chain !== chain) return false;
    const at = (flag: string) => {
      const i = r.args.indexOf(flag);
      return i < 0 ? undefined : r.args[i + 1];
    };
    return (
      at('-j') === jump.jump &&
      (jump.set === undefined || at('--match-set') === jump.set) &&
      (jump.source === undefined || at('-s') === jump.source)
    );
  });
}

describe('kube-proxy proxier_test.go expectations for IPVS mode', () => {
  test.each(CASES)('$test', (c) => {
    const { virtualServers, ipsets, rules, persistent } = run(c);
    if (c.allPersistent !== undefined) expect(persistent.every((t) => t === c.allPersistent)).toBe(true);
    if (c.ipvs) expect(Object.fromEntries(virtualServers)).toEqual(c.ipvs);
    if (c.vsCount !== undefined) expect(virtualServers.size).toBe(c.vsCount);
    for (const [key, expected] of Object.entries(c.someVS ?? {})) expect(virtualServers.get(key)).toEqual(expected);
    for (const [key, allowed] of Object.entries(c.realServersAmong ?? {})) {
      expect(virtualServers.has(key)).toBe(true);
      for (const rs of virtualServers.get(key) ?? []) expect(allowed).toContain(rs);
    }
    for (const [name, entries] of Object.entries(c.ipsets ?? {})) {
      expect(
        ipsets
          .find((s) => s.name === name)
          ?.entries.slice()
          .sort(),
      ).toEqual(entries.slice().sort());
    }
    for (const [chain, jumps] of Object.entries(c.chains ?? {})) {
      for (const jump of jumps) expect(hasJump(rules, chain, jump), `${chain} → ${JSON.stringify(jump)}`).toBe(true);
    }
  });

  test('TestCreateAndLinkKubeChain: the chains of the restore buffer, in order', () => {
    const { restore } = run({ test: '', yaml: [] });
    const chains = (table: string) =>
      (restore.split(`*${table}\n`)[1] ?? '')
        .split('COMMIT')[0]
        .split('\n')
        .filter((l) => l.startsWith(':'))
        .join('\n');
    expect(chains('nat')).toBe(
      ':KUBE-SERVICES - [0:0]\n:KUBE-POSTROUTING - [0:0]\n:KUBE-NODE-PORT - [0:0]\n:KUBE-LOAD-BALANCER - [0:0]\n:KUBE-MARK-MASQ - [0:0]',
    );
    expect(chains('filter')).toBe(
      ':KUBE-FORWARD - [0:0]\n:KUBE-NODE-PORT - [0:0]\n:KUBE-PROXY-FIREWALL - [0:0]\n:KUBE-SOURCE-RANGES-FIREWALL - [0:0]\n:KUBE-IPVS-FILTER - [0:0]\n:KUBE-IPVS-OUT-FILTER - [0:0]',
    );
  });

  test('every ported case asserts something', () => {
    for (const c of CASES) {
      const checks = [c.ipvs, c.vsCount, c.someVS, c.realServersAmong, c.ipsets, c.chains, c.allPersistent].filter(
        (x) => x !== undefined,
      );
      expect(checks.length, c.test).toBeGreaterThan(0);
    }
  });
});
