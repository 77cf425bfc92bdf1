// Packet-flow tests of kube-proxy's proxier_test.go (runPacketFlowTests), ported: the same
// Services as YAML, the generated iptables-save text walked by chainwalk's simulator instead of
// kube-proxy's tracePacket. `output` lists every endpoint a path reaches ("ip:port, …"), or the
// verdict (DROP/REJECT), or "" when the packet is not touched; `masq` says KUBE-MARK-MASQ was hit.
import { describe, expect, test } from 'vitest';
import type { Origin } from '../model';
import { cidrContains, parseCidr, parseIp, parseIptablesSave } from '../parse';
import { nodeContext, simulate } from '../sim';
import { generateFromYaml, type KubeProxyOptions } from './index';

const TEST_NODE_IPS = ['192.168.0.2', '192.168.1.2', '192.168.99.11'];
const FAKE_PROXIER: KubeProxyOptions = {
  nodeName: 'test-node',
  nodeIPs: TEST_NODE_IPS,
  clusterCIDR: '10.0.0.0/8',
  randomFully: false,
  // kube-proxy's tests build Services without the API server: nothing is allocated.
  allocate: false,
};
const testExternalClient = '203.0.113.2';
const testExternalClientBlocked = '203.0.113.130';

interface Flow {
  name: string;
  sourceIP: string;
  destIP: string;
  destPort: number;
  protocol?: 'tcp' | 'udp' | 'sctp';
  output: string;
  masq?: boolean;
}

function originOf(ip: string): Origin {
  if (TEST_NODE_IPS.includes(ip) || ip.startsWith('127.')) return 'local';
  const pods = parseCidr('10.0.0.0/8');
  const addr = parseIp(ip);
  return pods && addr && cidrContains(pods, addr) ? 'pod' : 'external';
}

function runPacketFlowTests(yaml: string, flows: Flow[], options: KubeProxyOptions = {}): void {
  const result = generateFromYaml(yaml, { ...FAKE_PROXIER, ...options });
  const { ruleset, diagnostics } = parseIptablesSave(result.dump);
  const ctx = nodeContext({ nodeIPs: TEST_NODE_IPS, podCIDR: '10.0.0.0/8' });
  test('the dump parses cleanly', () => expect(diagnostics).toEqual([]));
  test.each(flows)('$name', (flow) => {
    const trace = simulate(ruleset, ctx, {
      origin: originOf(flow.sourceIP),
      proto: flow.protocol ?? 'tcp',
      src: flow.sourceIP,
      sport: 40000,
      dst: flow.destIP,
      dport: flow.destPort,
    });
    expect(trace.paths.length).toBeGreaterThan(0);
    const verdicts = new Set(trace.paths.map((p) => p.final.verdict));
    let output: string;
    const filterAccepted = trace.paths.some((p) =>
      p.events.some(
        (e) => e.table === 'filter' && e.kind === 'rule' && e.verdict === 'ACCEPT' && e.chain.startsWith('KUBE-'),
      ),
    );
    if (verdicts.has('DROP') || verdicts.has('REJECT')) output = [...verdicts].join(', ');
    else if (flow.output === 'ACCEPT' && filterAccepted) output = 'ACCEPT';
    else {
      const reached = trace.paths
        .filter((p) => p.final.dst !== flow.destIP || p.final.dport !== flow.destPort)
        .map((p) =>
          p.final.dst.includes(':') ? `[${p.final.dst}]:${p.final.dport}` : `${p.final.dst}:${p.final.dport}`,
        );
      output = [...new Set(reached)].sort().join(', ');
    }
    expect(output).toBe(flow.output);
    if (flow.masq !== undefined) {
      const masq = trace.paths.map((p) => p.events.some((e) => e.verdict === 'JUMP:KUBE-MARK-MASQ'));
      expect(new Set(masq)).toEqual(new Set([flow.masq]));
    }
  });
}

const svc = (ns: string, name: string, spec: string, status = '') =>
  `apiVersion: v1\nkind: Service\nmetadata: {namespace: ${ns}, name: ${name}}\nspec:\n${spec}\n${status}---\n`;
const slice = (ns: string, name: string, endpoints: string, ports: string) =>
  `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {namespace: ${ns}, name: ${name}-1, labels: {kubernetes.io/service-name: ${name}}}\naddressType: IPv4\nendpoints:\n${endpoints}\nports:\n${ports}\n---\n`;

describe('TestClusterIPGeneral', () => {
  const yaml =
    svc('ns1', 'svc1', '  clusterIP: 172.30.0.41\n  ports:\n    - {name: http, port: 80, protocol: TCP}') +
    svc(
      'ns2',
      'svc2',
      `  clusterIP: 172.30.0.42
  ports:
    - {name: http, port: 80, protocol: TCP}
    - {name: https, port: 443, protocol: TCP, targetPort: 8443}
    - {name: dns-udp, port: 53, protocol: UDP}
    - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 5353}
    - {name: dns-sctp, port: 53, protocol: SCTP}`,
    ) +
    slice(
      'ns1',
      'svc1',
      '  - {addresses: [10.180.0.1], nodeName: test-node}',
      '  - {name: http, port: 80, protocol: TCP}',
    ) +
    slice(
      'ns2',
      'svc2',
      '  - {addresses: [10.180.0.1], nodeName: test-node}\n  - {addresses: [10.180.2.1], nodeName: node2}',
      `  - {name: http, port: 80, protocol: TCP}
  - {name: https, port: 8443, protocol: TCP}
  - {name: dns-udp, port: 53, protocol: UDP}
  - {name: dns-tcp, port: 5353, protocol: TCP}
  - {name: dns-sctp, port: 53, protocol: SCTP}`,
    );
  runPacketFlowTests(yaml, [
    {
      name: 'simple clusterIP',
      sourceIP: '10.180.0.2',
      destIP: '172.30.0.41',
      destPort: 80,
      output: '10.180.0.1:80',
      masq: false,
    },
    {
      name: 'hairpin to cluster IP',
      sourceIP: '10.180.0.1',
      destIP: '172.30.0.41',
      destPort: 80,
      output: '10.180.0.1:80',
      masq: true,
    },
    {
      name: 'clusterIP with multiple endpoints',
      sourceIP: '10.180.0.2',
      destIP: '172.30.0.42',
      destPort: 80,
      output: '10.180.0.1:80, 10.180.2.1:80',
      masq: false,
    },
    {
      name: 'clusterIP with TargetPort',
      sourceIP: '10.180.0.2',
      destIP: '172.30.0.42',
      destPort: 443,
      output: '10.180.0.1:8443, 10.180.2.1:8443',
      masq: false,
    },
    {
      name: 'clusterIP with TCP, UDP, and SCTP on same port (TCP)',
      sourceIP: '10.180.0.2',
      protocol: 'tcp',
      destIP: '172.30.0.42',
      destPort: 53,
      output: '10.180.0.1:5353, 10.180.2.1:5353',
      masq: false,
    },
    {
      name: 'clusterIP with TCP, UDP, and SCTP on same port (UDP)',
      sourceIP: '10.180.0.2',
      protocol: 'udp',
      destIP: '172.30.0.42',
      destPort: 53,
      output: '10.180.0.1:53, 10.180.2.1:53',
      masq: false,
    },
    {
      name: 'clusterIP with TCP, UDP, and SCTP on same port (SCTP)',
      sourceIP: '10.180.0.2',
      protocol: 'sctp',
      destIP: '172.30.0.42',
      destPort: 53,
      output: '10.180.0.1:53, 10.180.2.1:53',
      masq: false,
    },
    {
      name: 'TCP-only port does not match UDP traffic',
      sourceIP: '10.180.0.2',
      protocol: 'udp',
      destIP: '172.30.0.42',
      destPort: 80,
      output: '',
    },
    {
      name: "svc1 does not accept svc2's ports",
      sourceIP: '10.180.0.2',
      destIP: '172.30.0.41',
      destPort: 443,
      output: '',
    },
  ]);
});

describe('TestLoadBalancer', () => {
  const yaml =
    svc(
      'ns1',
      'svc1',
      `  type: LoadBalancer
  clusterIP: 172.30.0.41
  ports:
    - {name: p80, port: 80, protocol: TCP, nodePort: 3001}
  loadBalancerSourceRanges: [192.168.0.0/24, " 203.0.113.0/25"]`,
      'status:\n  loadBalancer:\n    ingress: [{ip: 1.2.3.4}, {ip: 5.6.7.8}]\n',
    ) + slice('ns1', 'svc1', '  - {addresses: [10.180.0.1]}', '  - {name: p80, port: 80, protocol: TCP}');
  const ep = '10.180.0.1:80';
  runPacketFlowTests(yaml, [
    { name: 'pod to cluster IP', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output: ep, masq: false },
    {
      name: 'external to nodePort',
      sourceIP: testExternalClient,
      destIP: '192.168.0.2',
      destPort: 3001,
      output: ep,
      masq: true,
    },
    {
      name: 'nodePort bypasses LoadBalancerSourceRanges',
      sourceIP: testExternalClientBlocked,
      destIP: '192.168.0.2',
      destPort: 3001,
      output: ep,
      masq: true,
    },
    {
      name: 'accepted external to LB1',
      sourceIP: testExternalClient,
      destIP: '1.2.3.4',
      destPort: 80,
      output: ep,
      masq: true,
    },
    {
      name: 'accepted external to LB2',
      sourceIP: testExternalClient,
      destIP: '5.6.7.8',
      destPort: 80,
      output: ep,
      masq: true,
    },
    {
      name: 'blocked external to LB1',
      sourceIP: testExternalClientBlocked,
      destIP: '1.2.3.4',
      destPort: 80,
      output: 'DROP',
    },
    {
      name: 'blocked external to LB2',
      sourceIP: testExternalClientBlocked,
      destIP: '5.6.7.8',
      destPort: 80,
      output: 'DROP',
    },
    {
      name: 'pod to LB1 (blocked by LoadBalancerSourceRanges)',
      sourceIP: '10.0.0.2',
      destIP: '1.2.3.4',
      destPort: 80,
      output: 'DROP',
    },
    {
      name: 'pod to LB2 (blocked by LoadBalancerSourceRanges)',
      sourceIP: '10.0.0.2',
      destIP: '5.6.7.8',
      destPort: 80,
      output: 'DROP',
    },
    {
      name: 'node to LB1 (allowed by LoadBalancerSourceRanges)',
      sourceIP: '192.168.0.2',
      destIP: '1.2.3.4',
      destPort: 80,
      output: ep,
      masq: true,
    },
    {
      name: 'node to LB2 (allowed by LoadBalancerSourceRanges)',
      sourceIP: '192.168.0.2',
      destIP: '5.6.7.8',
      destPort: 80,
      output: ep,
      masq: true,
    },
    {
      name: 'same node to LB1, SNATted to LB1 (implicitly allowed)',
      sourceIP: '1.2.3.4',
      destIP: '1.2.3.4',
      destPort: 80,
      output: ep,
      masq: true,
    },
    {
      name: 'same node to LB2, SNATted to LB2 (implicitly allowed)',
      sourceIP: '5.6.7.8',
      destIP: '5.6.7.8',
      destPort: 80,
      output: ep,
      masq: true,
    },
  ]);
});

describe('TestNoEndpointsReject', () => {
  const yaml = svc(
    'ns1',
    'svc1',
    `  type: LoadBalancer
  clusterIP: 172.30.0.41
  externalIPs: [192.168.99.11]
  ports:
    - {name: p80, port: 80, protocol: TCP, nodePort: 3001}`,
    'status:\n  loadBalancer:\n    ingress: [{ip: 1.2.3.4}]\n',
  );
  runPacketFlowTests(yaml, [
    {
      name: 'pod to cluster IP with no endpoints',
      sourceIP: '10.0.0.2',
      destIP: '172.30.0.41',
      destPort: 80,
      output: 'REJECT',
    },
    {
      name: 'external to external IP with no endpoints',
      sourceIP: testExternalClient,
      destIP: '192.168.99.11',
      destPort: 80,
      output: 'REJECT',
    },
    {
      name: 'pod to NodePort with no endpoints',
      sourceIP: '10.0.0.2',
      destIP: '192.168.0.2',
      destPort: 3001,
      output: 'REJECT',
    },
    {
      name: 'external to NodePort with no endpoints',
      sourceIP: testExternalClient,
      destIP: '192.168.0.2',
      destPort: 3001,
      output: 'REJECT',
    },
    {
      name: 'pod to LoadBalancer IP with no endpoints',
      sourceIP: '10.0.0.2',
      destIP: '1.2.3.4',
      destPort: 80,
      output: 'REJECT',
    },
    {
      name: 'external to LoadBalancer IP with no endpoints',
      sourceIP: testExternalClient,
      destIP: '1.2.3.4',
      destPort: 80,
      output: 'REJECT',
    },
  ]);
});

describe('TestNodePorts (IPv4, no --nodeport-addresses)', () => {
  const yaml =
    svc(
      'ns1',
      'svc1',
      '  type: NodePort\n  clusterIP: 172.30.0.41\n  ports:\n    - {name: p80, port: 80, protocol: TCP, nodePort: 3001}',
    ) +
    slice(
      'ns1',
      'svc1',
      '  - {addresses: [10.180.0.1]}\n  - {addresses: [10.180.2.1], nodeName: test-node}',
      '  - {name: p80, port: 80, protocol: TCP}',
    );
  const output = '10.180.0.1:80, 10.180.2.1:80';
  const basic: Flow[] = [
    { name: 'pod to cluster IP', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output, masq: false },
    {
      name: 'external to nodePort',
      sourceIP: testExternalClient,
      destIP: '192.168.0.2',
      destPort: 3001,
      output,
      masq: true,
    },
    { name: 'node to nodePort', sourceIP: '192.168.0.2', destIP: '192.168.0.2', destPort: 3001, output, masq: true },
    {
      name: 'external to nodePort on secondary IP',
      sourceIP: testExternalClient,
      destIP: '192.168.1.2',
      destPort: 3001,
      output,
      masq: true,
    },
  ];
  describe('localhost-nodeports enabled', () => {
    runPacketFlowTests(yaml, [
      ...basic,
      {
        name: 'localhost to nodePort gets masqueraded',
        sourceIP: '127.0.0.1',
        destIP: '127.0.0.1',
        destPort: 3001,
        output,
        masq: true,
      },
    ]);
  });
  describe('localhost-nodeports disabled', () => {
    runPacketFlowTests(
      yaml,
      [
        ...basic,
        {
          name: 'localhost to nodePort is ignored',
          sourceIP: '127.0.0.1',
          destIP: '127.0.0.1',
          destPort: 3001,
          output: '',
        },
      ],
      { localhostNodePorts: false },
    );
  });
  describe('localhost-nodeports disabled, localhost in nodeport-addresses', () => {
    runPacketFlowTests(
      yaml,
      [
        ...basic.filter((f) => f.destIP !== '192.168.1.2'),
        {
          name: 'localhost to nodePort is ignored',
          sourceIP: '127.0.0.1',
          destIP: '127.0.0.1',
          destPort: 3001,
          output: '',
        },
        {
          name: 'secondary node IP is outside nodeport-addresses',
          sourceIP: testExternalClient,
          destIP: '192.168.1.2',
          destPort: 3001,
          output: '',
        },
      ],
      { localhostNodePorts: false, nodePortAddresses: ['192.168.0.0/24', '127.0.0.1/32'] },
    );
  });
  describe('multiple nodeport-addresses', () => {
    runPacketFlowTests(yaml, basic, {
      localhostNodePorts: false,
      nodePortAddresses: ['192.168.0.0/24', '192.168.1.0/24', '2001:db8::/64'],
    });
  });
});

const policyService = (policy: 'Local' | 'Cluster') =>
  svc(
    'ns1',
    'svc1',
    `  type: LoadBalancer
  externalTrafficPolicy: ${policy}
  clusterIP: 172.30.0.41
  externalIPs: [192.168.99.11]
  healthCheckNodePort: ${policy === 'Local' ? 30000 : 0}
  ports:
    - {name: p80, port: 80, protocol: TCP, nodePort: 3001, targetPort: 80}`,
    'status:\n  loadBalancer:\n    ingress: [{ip: 1.2.3.4}]\n',
  ) +
  slice(
    'ns1',
    'svc1',
    '  - {addresses: [10.180.0.1]}\n  - {addresses: [10.180.2.1], nodeName: test-node}',
    '  - {name: p80, port: 80, protocol: TCP}',
  );
const both = '10.180.0.1:80, 10.180.2.1:80';

describe('TestExternalTrafficPolicyLocal', () => {
  const local = '10.180.2.1:80';
  runPacketFlowTests(policyService('Local'), [
    {
      name: 'pod to cluster IP hits both endpoints, unmasqueraded',
      sourceIP: '10.0.0.2',
      destIP: '172.30.0.41',
      destPort: 80,
      output: both,
      masq: false,
    },
    {
      name: 'pod to external IP hits both endpoints, unmasqueraded',
      sourceIP: '10.0.0.2',
      destIP: '192.168.99.11',
      destPort: 80,
      output: both,
      masq: false,
    },
    {
      name: 'external to external IP hits only local endpoint, unmasqueraded',
      sourceIP: testExternalClient,
      destIP: '192.168.99.11',
      destPort: 80,
      output: local,
      masq: false,
    },
    {
      name: 'pod to LB IP hits only both endpoints, unmasqueraded',
      sourceIP: '10.0.0.2',
      destIP: '1.2.3.4',
      destPort: 80,
      output: both,
      masq: false,
    },
    {
      name: 'external to LB IP hits only local endpoint, unmasqueraded',
      sourceIP: testExternalClient,
      destIP: '1.2.3.4',
      destPort: 80,
      output: local,
      masq: false,
    },
    {
      name: 'pod to NodePort hits both endpoints, unmasqueraded',
      sourceIP: '10.0.0.2',
      destIP: '192.168.0.2',
      destPort: 3001,
      output: both,
      masq: false,
    },
    {
      name: 'external to NodePort hits only local endpoint, unmasqueraded',
      sourceIP: testExternalClient,
      destIP: '192.168.0.2',
      destPort: 3001,
      output: local,
      masq: false,
    },
  ]);
});

describe('TestExternalTrafficPolicyCluster', () => {
  runPacketFlowTests(policyService('Cluster'), [
    {
      name: 'pod to cluster IP hits both endpoints, unmasqueraded',
      sourceIP: '10.0.0.2',
      destIP: '172.30.0.41',
      destPort: 80,
      output: both,
      masq: false,
    },
    {
      name: 'pod to external IP hits both endpoints, masqueraded',
      sourceIP: '10.0.0.2',
      destIP: '192.168.99.11',
      destPort: 80,
      output: both,
      masq: true,
    },
    {
      name: 'external to external IP hits both endpoints, masqueraded',
      sourceIP: testExternalClient,
      destIP: '192.168.99.11',
      destPort: 80,
      output: both,
      masq: true,
    },
    {
      name: 'pod to LB IP hits both endpoints, masqueraded',
      sourceIP: '10.0.0.2',
      destIP: '1.2.3.4',
      destPort: 80,
      output: both,
      masq: true,
    },
    {
      name: 'external to LB IP hits both endpoints, masqueraded',
      sourceIP: testExternalClient,
      destIP: '1.2.3.4',
      destPort: 80,
      output: both,
      masq: true,
    },
    {
      name: 'pod to NodePort hits both endpoints, masqueraded',
      sourceIP: '10.0.0.2',
      destIP: '192.168.0.2',
      destPort: 3001,
      output: both,
      masq: true,
    },
    {
      name: 'external to NodePort hits both endpoints, masqueraded',
      sourceIP: testExternalClient,
      destIP: '192.168.0.2',
      destPort: 3001,
      output: both,
      masq: true,
    },
  ]);
});

describe('TestHealthCheckNodePort', () => {
  const yaml = svc(
    'ns1',
    'svc1',
    `  type: LoadBalancer
  externalTrafficPolicy: Local
  clusterIP: 172.30.0.42
  healthCheckNodePort: 30000
  ports:
    - {name: p80, port: 80, protocol: TCP, nodePort: 3001}`,
  );
  runPacketFlowTests(
    yaml,
    [
      {
        name: 'firewall accepts HealthCheckNodePort',
        sourceIP: '1.2.3.4',
        destIP: '192.168.0.2',
        destPort: 30000,
        output: 'ACCEPT',
        masq: false,
      },
    ],
    { nodePortAddresses: ['127.0.0.0/8'] },
  );
});

describe('TestInternalExternalMasquerade', () => {
  const lb = (ns: string, ip: string, nodePort: number, extra: string, lbIP: string) =>
    svc(
      ns,
      ns.replace('ns', 'svc'),
      `  type: LoadBalancer
  clusterIP: ${ip}
  healthCheckNodePort: ${30000 + nodePort - 3000}
${extra}  ports:
    - {name: p80, port: 80, protocol: TCP, nodePort: ${nodePort}}`,
      `status:\n  loadBalancer:\n    ingress: [{ip: ${lbIP}}]\n`,
    );
  const eps = (ns: string, n: number) =>
    slice(
      ns,
      ns.replace('ns', 'svc'),
      `  - {addresses: [10.180.0.${n}], nodeName: test-node}\n  - {addresses: [10.180.1.${n}], nodeName: remote}`,
      '  - {name: p80, port: 80, protocol: TCP}',
    );
  const yaml =
    lb('ns1', '172.30.0.41', 3001, '', '1.2.3.4') +
    lb('ns2', '172.30.0.42', 3002, '  externalTrafficPolicy: Local\n', '5.6.7.8') +
    lb('ns3', '172.30.0.43', 3003, '  internalTrafficPolicy: Local\n', '9.10.11.12') +
    eps('ns1', 1) +
    eps('ns2', 2) +
    eps('ns3', 3);
  const all = (n: number) => `10.180.0.${n}:80, 10.180.1.${n}:80`;
  const node = '192.168.0.2';
  const ext = testExternalClient;
  const flows: Flow[] = [
    {
      name: 'pod to ClusterIP',
      sourceIP: '10.0.0.2',
      destIP: '172.30.0.41',
      destPort: 80,
      output: all(1),
      masq: false,
    },
    { name: 'pod to NodePort', sourceIP: '10.0.0.2', destIP: node, destPort: 3001, output: all(1), masq: true },
    { name: 'pod to LB', sourceIP: '10.0.0.2', destIP: '1.2.3.4', destPort: 80, output: all(1), masq: true },
    { name: 'node to ClusterIP', sourceIP: node, destIP: '172.30.0.41', destPort: 80, output: all(1), masq: true },
    { name: 'node to NodePort', sourceIP: node, destIP: node, destPort: 3001, output: all(1), masq: true },
    {
      name: 'localhost to NodePort',
      sourceIP: '127.0.0.1',
      destIP: '127.0.0.1',
      destPort: 3001,
      output: all(1),
      masq: true,
    },
    { name: 'node to LB', sourceIP: node, destIP: '1.2.3.4', destPort: 80, output: all(1), masq: true },
    { name: 'external to ClusterIP', sourceIP: ext, destIP: '172.30.0.41', destPort: 80, output: all(1), masq: true },
    { name: 'external to NodePort', sourceIP: ext, destIP: node, destPort: 3001, output: all(1), masq: true },
    { name: 'external to LB', sourceIP: ext, destIP: '1.2.3.4', destPort: 80, output: all(1), masq: true },
    {
      name: 'pod to ClusterIP with eTP:Local',
      sourceIP: '10.0.0.2',
      destIP: '172.30.0.42',
      destPort: 80,
      output: all(2),
      masq: false,
    },
    {
      name: 'pod to NodePort with eTP:Local',
      sourceIP: '10.0.0.2',
      destIP: node,
      destPort: 3002,
      output: all(2),
      masq: false,
    },
    {
      name: 'pod to LB with eTP:Local',
      sourceIP: '10.0.0.2',
      destIP: '5.6.7.8',
      destPort: 80,
      output: all(2),
      masq: false,
    },
    {
      name: 'node to ClusterIP with eTP:Local',
      sourceIP: node,
      destIP: '172.30.0.42',
      destPort: 80,
      output: all(2),
      masq: true,
    },
    {
      name: 'node to NodePort with eTP:Local',
      sourceIP: node,
      destIP: node,
      destPort: 3001,
      output: all(1),
      masq: true,
    },
    {
      name: 'localhost to NodePort with eTP:Local',
      sourceIP: '127.0.0.1',
      destIP: '127.0.0.1',
      destPort: 3002,
      output: all(2),
      masq: true,
    },
    { name: 'node to LB with eTP:Local', sourceIP: node, destIP: '5.6.7.8', destPort: 80, output: all(2), masq: true },
    {
      name: 'external to ClusterIP with eTP:Local',
      sourceIP: ext,
      destIP: '172.30.0.42',
      destPort: 80,
      output: all(2),
      masq: true,
    },
    {
      name: 'external to NodePort with eTP:Local',
      sourceIP: ext,
      destIP: node,
      destPort: 3002,
      output: '10.180.0.2:80',
      masq: false,
    },
    {
      name: 'external to LB with eTP:Local',
      sourceIP: ext,
      destIP: '5.6.7.8',
      destPort: 80,
      output: '10.180.0.2:80',
      masq: false,
    },
    {
      name: 'pod to ClusterIP with iTP:Local',
      sourceIP: '10.0.0.2',
      destIP: '172.30.0.43',
      destPort: 80,
      output: '10.180.0.3:80',
      masq: false,
    },
    {
      name: 'pod to NodePort with iTP:Local',
      sourceIP: '10.0.0.2',
      destIP: node,
      destPort: 3003,
      output: all(3),
      masq: true,
    },
    {
      name: 'pod to LB with iTP:Local',
      sourceIP: '10.0.0.2',
      destIP: '9.10.11.12',
      destPort: 80,
      output: all(3),
      masq: true,
    },
    {
      name: 'node to ClusterIP with iTP:Local',
      sourceIP: node,
      destIP: '172.30.0.43',
      destPort: 80,
      output: '10.180.0.3:80',
      masq: true,
    },
    {
      name: 'node to NodePort with iTP:Local',
      sourceIP: node,
      destIP: node,
      destPort: 3003,
      output: all(3),
      masq: true,
    },
    {
      name: 'localhost to NodePort with iTP:Local',
      sourceIP: '127.0.0.1',
      destIP: '127.0.0.1',
      destPort: 3003,
      output: all(3),
      masq: true,
    },
    {
      name: 'node to LB with iTP:Local',
      sourceIP: node,
      destIP: '9.10.11.12',
      destPort: 80,
      output: all(3),
      masq: true,
    },
    {
      name: 'external to ClusterIP with iTP:Local',
      sourceIP: ext,
      destIP: '172.30.0.43',
      destPort: 80,
      output: '10.180.0.3:80',
      masq: true,
    },
    {
      name: 'external to NodePort with iTP:Local',
      sourceIP: ext,
      destIP: node,
      destPort: 3003,
      output: all(3),
      masq: true,
    },
    {
      name: 'external to LB with iTP:Local',
      sourceIP: ext,
      destIP: '9.10.11.12',
      destPort: 80,
      output: all(3),
      masq: true,
    },
  ];
  const override = (changes: Record<string, Partial<Flow>>) => flows.map((f) => ({ ...f, ...(changes[f.name] ?? {}) }));
  const noDetector = {
    'node to ClusterIP': { masq: false },
    'node to ClusterIP with eTP:Local': { masq: false },
    'node to ClusterIP with iTP:Local': { masq: false },
    'external to ClusterIP': { masq: false },
    'external to ClusterIP with eTP:Local': { masq: false },
    'external to ClusterIP with iTP:Local': { masq: false },
    'pod to NodePort with eTP:Local': { output: '10.180.0.2:80' },
    'pod to LB with eTP:Local': { output: '10.180.0.2:80' },
  };
  const masqueradeAll = {
    'pod to ClusterIP': { masq: true },
    'pod to ClusterIP with eTP:Local': { masq: true },
    'pod to ClusterIP with iTP:Local': { masq: true },
  };
  describe('base', () => runPacketFlowTests(yaml, flows));
  describe('no LocalTrafficDetector', () => runPacketFlowTests(yaml, override(noDetector), { clusterCIDR: null }));
  describe('masqueradeAll', () => runPacketFlowTests(yaml, override(masqueradeAll), { masqueradeAll: true }));
  describe('masqueradeAll, no LocalTrafficDetector', () =>
    runPacketFlowTests(
      yaml,
      override({
        ...masqueradeAll,
        'pod to NodePort with eTP:Local': { output: '10.180.0.2:80' },
        'pod to LB with eTP:Local': { output: '10.180.0.2:80' },
      }),
      { masqueradeAll: true, clusterCIDR: null },
    ));
});

describe('TestTerminatingEndpointsTrafficPolicyCluster', () => {
  const service = svc(
    'ns1',
    'svc1',
    `  type: LoadBalancer
  externalTrafficPolicy: Cluster
  clusterIP: 172.30.1.1
  healthCheckNodePort: 30000
  ports:
    - {port: 80, protocol: TCP, targetPort: 80}`,
    'status:\n  loadBalancer:\n    ingress: [{ip: 1.2.3.4}]\n',
  );
  const ep = (ip: string, ready: boolean, serving: boolean, terminating: boolean, nodeName: string) =>
    `  - {addresses: [${ip}], nodeName: ${nodeName}, conditions: {ready: ${ready}, serving: ${serving}, terminating: ${terminating}}}`;
  const cases: [string, string[], string, boolean | undefined][] = [
    [
      'ready endpoints exist',
      [
        ep('10.0.1.1', true, true, false, 'test-node'),
        ep('10.0.1.2', true, true, false, 'test-node'),
        ep('10.0.1.3', false, true, true, 'another-node'),
        ep('10.0.1.4', false, false, true, 'another-node'),
        ep('10.0.1.5', true, true, false, 'another-node'),
      ],
      '10.0.1.1:80, 10.0.1.2:80, 10.0.1.5:80',
      true,
    ],
    [
      'only terminating endpoints exist',
      [
        ep('10.0.1.2', false, true, true, 'test-node'),
        ep('10.0.1.3', false, true, true, 'test-node'),
        ep('10.0.1.4', false, false, true, 'another-node'),
        ep('10.0.1.5', false, true, true, 'another-node'),
      ],
      '10.0.1.2:80, 10.0.1.3:80, 10.0.1.5:80',
      true,
    ],
    ['terminating endpoints on remote node', [ep('10.0.1.5', false, true, true, 'node-1')], '10.0.1.5:80', true],
    [
      'no usable endpoints on any node',
      [ep('10.0.1.5', false, false, true, 'test-node'), ep('10.0.1.5', false, false, true, 'node-1')],
      'REJECT',
      undefined,
    ],
  ];
  for (const [name, endpoints, output, masq] of cases) {
    describe(name, () =>
      runPacketFlowTests(service + slice('ns1', 'svc1', endpoints.join('\n'), '  - {port: 80, protocol: TCP}'), [
        {
          name: 'pod to clusterIP',
          sourceIP: '10.0.0.2',
          destIP: '172.30.1.1',
          destPort: 80,
          output,
          masq: masq === undefined ? undefined : false,
        },
        { name: 'external to LB', sourceIP: testExternalClient, destIP: '1.2.3.4', destPort: 80, output, masq },
      ]),
    );
  }
});

describe('TestTerminatingEndpointsTrafficPolicyLocal (the cases without ready local endpoints)', () => {
  const service = svc(
    'ns1',
    'svc1',
    `  type: LoadBalancer
  externalTrafficPolicy: Local
  clusterIP: 172.30.1.1
  healthCheckNodePort: 30000
  ports:
    - {port: 80, protocol: TCP, targetPort: 80}`,
    'status:\n  loadBalancer:\n    ingress: [{ip: 1.2.3.4}]\n',
  );
  const ep = (ip: string, ready: boolean, serving: boolean, terminating: boolean, nodeName: string) =>
    `  - {addresses: [${ip}], nodeName: ${nodeName}, conditions: {ready: ${ready}, serving: ${serving}, terminating: ${terminating}}}`;
  const cases: [string, string[], Flow[]][] = [
    [
      'only terminating endpoints exist',
      [
        ep('10.0.1.2', false, true, true, 'test-node'),
        ep('10.0.1.3', false, true, true, 'test-node'),
        ep('10.0.1.4', false, false, true, 'test-node'),
        ep('10.0.1.5', true, true, false, 'node-1'),
      ],
      [
        {
          name: 'pod to clusterIP',
          sourceIP: '10.0.0.2',
          destIP: '172.30.1.1',
          destPort: 80,
          output: '10.0.1.5:80',
          masq: false,
        },
        {
          name: 'external to LB',
          sourceIP: testExternalClient,
          destIP: '1.2.3.4',
          destPort: 80,
          output: '10.0.1.2:80, 10.0.1.3:80',
          masq: false,
        },
      ],
    ],
    [
      'terminating endpoints on remote node',
      [ep('10.0.1.5', false, true, true, 'node-1')],
      [
        { name: 'pod to clusterIP', sourceIP: '10.0.0.2', destIP: '172.30.1.1', destPort: 80, output: '10.0.1.5:80' },
        {
          name: 'external to LB, no locally-usable endpoints',
          sourceIP: testExternalClient,
          destIP: '1.2.3.4',
          destPort: 80,
          output: 'DROP',
        },
      ],
    ],
    [
      'no usable endpoints on any node',
      [ep('10.0.1.5', false, false, true, 'test-node'), ep('10.0.1.5', false, false, true, 'node-1')],
      [
        {
          name: 'pod to clusterIP, no usable endpoints',
          sourceIP: '10.0.0.2',
          destIP: '172.30.1.1',
          destPort: 80,
          output: 'REJECT',
        },
        {
          name: 'external to LB, no usable endpoints',
          sourceIP: testExternalClient,
          destIP: '1.2.3.4',
          destPort: 80,
          output: 'REJECT',
        },
      ],
    ],
  ];
  for (const [name, endpoints, flows] of cases) {
    describe(name, () =>
      runPacketFlowTests(service + slice('ns1', 'svc1', endpoints.join('\n'), '  - {port: 80, protocol: TCP}'), flows),
    );
  }
});
