import { describe, expect, test } from 'vitest';
import type { Packet } from '../model';
import { parseIptablesSave } from '../parse';
import { nodeContext, simulate } from '../sim';
import { generateFromYaml } from './index';
import { savedProbability, toSaveLine } from './rules';

const service = (spec: string, name = 'web', extra = '') => `apiVersion: v1
kind: Service
metadata: {namespace: shop, name: ${name}}
spec:
${spec}
${extra}`;

const clusterIP3 = service(`  clusterIP: 10.96.0.20
  selector: {app: web}
  ports:
    - {name: http, port: 80, targetPort: 8080}`);

function traceTo(dump: string, packet: Partial<Packet>) {
  const { ruleset, diagnostics } = parseIptablesSave(dump);
  expect(diagnostics).toEqual([]);
  const ctx = nodeContext({ nodeIPs: ['192.168.0.2'], podCIDR: '10.244.0.0/24' });
  return simulate(ruleset, ctx, {
    origin: 'pod',
    proto: 'tcp',
    src: '10.244.0.5',
    sport: 40000,
    dst: '10.96.0.20',
    dport: 80,
    ...packet,
  });
}

describe('a packet through a generated ClusterIP', () => {
  const result = generateFromYaml(clusterIP3, { exampleEndpoints: 3 });

  test('example endpoints are invented from the pod CIDR and announced', () => {
    expect(result.services[0].endpoints.map((e) => e.endpoint)).toEqual([
      '10.244.0.10:8080',
      '10.244.0.11:8080',
      '10.244.0.12:8080',
    ]);
    expect(result.diagnostics.map((d) => d.code)).toEqual(['example-endpoints']);
  });

  test('reaches each of three endpoints with probability 1/3', () => {
    const trace = traceTo(result.dump, {});
    const byDestination = new Map<string, number>();
    for (const path of trace.paths) {
      const key = `${path.final.dst}:${path.final.dport}`;
      byDestination.set(key, (byDestination.get(key) ?? 0) + path.probability);
    }
    expect([...byDestination.keys()].sort()).toEqual(['10.244.0.10:8080', '10.244.0.11:8080', '10.244.0.12:8080']);
    for (const p of byDestination.values()) expect(p).toBeCloseTo(1 / 3, 8);
    expect(trace.paths.every((p) => p.final.verdict === 'ACCEPT')).toBe(true);
  });

  test('a pod is not masqueraded; an outside client to the cluster IP is', () => {
    expect(traceTo(result.dump, {}).paths.every((p) => !p.final.masqueraded)).toBe(true);
    const outside = traceTo(result.dump, { origin: 'external', src: '192.168.0.50' });
    expect(outside.paths.length).toBe(3);
    expect(outside.paths.every((p) => p.final.masqueraded)).toBe(true);
  });

  test('probabilities are written as kube-proxy writes them and saved as iptables-save prints them', () => {
    expect(result.restore).toContain('--probability 0.3333333333 ');
    expect(result.restore).toContain('--probability 0.5000000000 ');
    expect(result.dump).toContain('--probability 0.33333333349 ');
    expect(result.dump).toContain('--probability 0.50000000000 ');
  });
});

describe('services without endpoints', () => {
  test('are rejected in filter KUBE-SERVICES, with an info diagnostic', () => {
    const result = generateFromYaml(clusterIP3);
    expect(result.diagnostics.map((d) => [d.severity, d.code, d.span.line])).toEqual([['info', 'no-endpoints', 1]]);
    const trace = traceTo(result.dump, {});
    expect(trace.paths.map((p) => p.final.verdict)).toEqual(['REJECT']);
    expect(result.dump).toContain(
      '-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "shop/web:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable',
    );
  });
});

describe('NodePort with externalTrafficPolicy: Local and no local endpoint', () => {
  const yaml = `${service(`  type: NodePort
  externalTrafficPolicy: Local
  clusterIP: 10.96.0.30
  ports:
    - {name: http, port: 80, nodePort: 30080}`)}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {namespace: shop, name: web-abc, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints:
  - addresses: [10.244.7.9]
    nodeName: other-node
ports:
  - {name: http, port: 8080, protocol: TCP}
`;
  const result = generateFromYaml(yaml, { nodeName: 'node-1' });

  test('a packet from outside to the node port is dropped by KUBE-EXTERNAL-SERVICES', () => {
    const trace = traceTo(result.dump, { origin: 'external', src: '203.0.113.9', dst: '192.168.0.2', dport: 30080 });
    expect(trace.paths.map((p) => p.final.verdict)).toEqual(['DROP']);
    const last = trace.paths[0].events.filter((e) => e.kind === 'rule').pop();
    expect(last?.chain).toBe('KUBE-EXTERNAL-SERVICES');
  });

  test('a pod reaching the same node port is short-circuited to the cluster endpoints', () => {
    const trace = traceTo(result.dump, { dst: '192.168.0.2', dport: 30080 });
    expect(trace.paths.map((p) => `${p.final.verdict} ${p.final.dst}:${p.final.dport}`)).toEqual([
      'ACCEPT 10.244.7.9:8080',
    ]);
  });
});

describe('internalTrafficPolicy: Local', () => {
  test('with no local endpoint, the cluster IP is dropped in filter', () => {
    const yaml = `${service(`  clusterIP: 10.96.0.40
  internalTrafficPolicy: Local
  ports:
    - {port: 53, protocol: UDP}`)}
---
apiVersion: v1
kind: Endpoints
metadata: {namespace: shop, name: web}
subsets:
  - addresses: [{ip: 10.244.9.9, nodeName: elsewhere}]
    ports: [{port: 53, protocol: UDP}]
`;
    const result = generateFromYaml(yaml);
    expect(result.dump).toContain(
      '-A KUBE-SERVICES -d 10.96.0.40/32 -p udp -m comment --comment "shop/web has no local endpoints" -m udp --dport 53 -j DROP',
    );
    expect(result.dump).not.toContain('KUBE-SVC-');
  });
});

describe('input errors are diagnostics with positions', () => {
  test.each([
    ['a YAML syntax error', 'kind: Service\nmetadata: {name: x\n', 'yaml-syntax', 3],
    ['a port out of range', service('  clusterIP: 10.96.0.1\n  ports:\n    - {port: 70000}'), 'port-out-of-range', 7],
    ['an unknown kind', 'apiVersion: v1\nkind: Gadget\n', 'unknown-kind', 2],
    ['an object without kind', 'apiVersion: v1\n', 'missing-kind', 1],
    ['a port entry without a port', service('  clusterIP: 10.96.0.1\n  ports:\n    - {name: x}'), 'missing-port', 7],
    [
      'an externalIP that is not an address',
      service('  clusterIP: 10.96.0.1\n  externalIPs: [1.2.3.4, 300.1.1.1]\n  ports: [{port: 80}]'),
      'bad-address',
      6,
    ],
    [
      'a source range that is not a CIDR',
      service(
        '  clusterIP: 10.96.0.1\n  loadBalancerSourceRanges:\n    - 10.0.0.0/8\n    - 10.0.0.0/40\n  ports: [{port: 80}]',
      ),
      'bad-address',
      8,
    ],
  ])('%s', (_name, text, code, line) => {
    const d = generateFromYaml(text).diagnostics.find((x) => x.code === code);
    expect(d?.span.line).toBe(line);
  });

  test('a service port whose endpoints have no port of its name', () => {
    const yaml = `${service('  clusterIP: 10.96.0.50\n  ports:\n    - {name: web, port: 80, targetPort: http}')}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {namespace: shop, name: web-1, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints: [{addresses: [10.244.0.3]}]
ports: [{name: metrics, port: 9090, protocol: TCP}]
`;
    const d = generateFromYaml(yaml).diagnostics.find((x) => x.code === 'no-matching-endpoint-port');
    expect(d?.message).toContain("targetPort 'http'");
    expect(d?.span.line).toBe(7);
  });

  test('empty documents are not objects to complain about', () => {
    expect(generateFromYaml('---\n# nothing\n---\n').diagnostics).toEqual([]);
  });

  test('JSON and kind: List are read too', () => {
    const list = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'a', namespace: 'default' },
          spec: { clusterIP: '10.96.0.9', ports: [{ port: 443, name: 'https' }] },
        },
      ],
    });
    const result = generateFromYaml(list, { exampleEndpoints: 1 });
    expect(result.services.map((s) => s.servicePortName)).toEqual(['default/a:https']);
  });
});

describe('iptables-save form', () => {
  test.each([
    [
      [
        '-m',
        'comment',
        '--comment',
        'S cluster IP',
        '-m',
        'tcp',
        '-p',
        'tcp',
        '-d',
        '172.30.0.41',
        '--dport',
        '80',
        '!',
        '-s',
        '10.0.0.0/8',
        '-j',
        'KUBE-MARK-MASQ',
      ],
      '-A X ! -s 10.0.0.0/8 -d 172.30.0.41/32 -p tcp -m comment --comment "S cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ',
    ],
    [['-j', 'MARK', '--or-mark', '0x4000'], '-A X -j MARK --set-xmark 0x4000/0x4000'],
    [
      ['-m', 'comment', '--comment', 'S loadbalancer IP', '-s', '0.0.0.0/0', '-j', 'KUBE-EXT-X'],
      '-A X -m comment --comment "S loadbalancer IP" -j KUBE-EXT-X',
    ],
    [['-j', 'MARK', '--xor-mark', '0x4000'], '-A X -j MARK --set-xmark 0x4000/0x0'],
    [
      [
        '-m',
        'comment',
        '--comment',
        'S -> 10.1.0.3:80',
        '-m',
        'recent',
        '--name',
        'KUBE-SEP-Y',
        '--rcheck',
        '--seconds',
        '10800',
        '--reap',
        '-j',
        'KUBE-SEP-Y',
      ],
      '-A X -m comment --comment "S -> 10.1.0.3:80" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-Y --mask 255.255.255.255 --rsource -j KUBE-SEP-Y',
    ],
    [
      ['-m', 'comment', '--comment', 'plain-name_1', '-j', 'ACCEPT'],
      '-A X -m comment --comment plain-name_1 -j ACCEPT',
    ],
  ])('%j', (args, line) => {
    expect(toSaveLine({ chain: 'X', args })).toBe(line);
  });

  test.each([
    ['0.5000000000', '0.50000000000'],
    ['0.3333333333', '0.33333333349'],
    ['0.1000000000', '0.10000000009'],
  ])('probability %s saves as %s', (input, saved) => {
    expect(savedProbability(input)).toBe(saved);
  });
});

describe('dual-stack', () => {
  const yaml = `apiVersion: v1
kind: Service
metadata: {namespace: ns1, name: svc1}
spec:
  type: NodePort
  ipFamilies: [IPv4, IPv6]
  clusterIP: 172.30.0.41
  clusterIPs: [172.30.0.41, "fd00:172:30::41"]
  ports: [{name: p80, port: 80, nodePort: 3001}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {namespace: ns1, name: svc1-v4, labels: {kubernetes.io/service-name: svc1}}
addressType: IPv4
endpoints: [{addresses: [10.180.0.1], nodeName: test-node}]
ports: [{name: p80, port: 80, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {namespace: ns1, name: svc1-v6, labels: {kubernetes.io/service-name: svc1}}
addressType: IPv6
endpoints: [{addresses: ["fd00:10:180::1"], nodeName: test-node}]
ports: [{name: p80, port: 80, protocol: TCP}]
`;
  const result = generateFromYaml(yaml, {
    nodeName: 'test-node',
    nodeIPs: ['192.168.0.2', '2001:db8::1'],
    clusterCIDR: '10.0.0.0/8,fd00:10::/64',
  });
  const v6 = result.ipv6;

  test('writes an ip6tables half with the same chain names and JoinHostPort endpoints', () => {
    expect(v6).not.toBeNull();
    const restore = v6?.restore ?? '';
    expect(restore).toContain(
      '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d fd00:172:30::41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
    );
    expect(restore).toContain('! -s fd00:10::/64 -j KUBE-MARK-MASQ');
    expect(restore).toContain('-j DNAT --to-destination [fd00:10:180::1]:80');
    // IPv6: no localhost node ports, no KUBE-FIREWALL, and the node-ports jump skips ::1.
    expect(restore).not.toContain('127.0.0.0/8');
    expect(restore).not.toContain('KUBE-FIREWALL');
    expect(restore).toContain('-m addrtype --dst-type LOCAL ! -d ::1/128 -j KUBE-NODEPORTS');
    expect(result.restore).not.toContain('fd00');
    expect(result.services.map((s) => `${s.family} ${s.chains.find((c) => c.startsWith('KUBE-SEP-'))}`)).toEqual([
      '4 KUBE-SEP-SXIVWICOYRO3J4NJ',
      `6 ${result.services[1].chains.find((c) => c.startsWith('KUBE-SEP-'))}`,
    ]);
  });

  test('the ip6tables-save form uses /128 and parses cleanly', () => {
    const dump = v6?.dump ?? '';
    expect(dump).toContain(
      '-A KUBE-SERVICES -d fd00:172:30::41/128 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
    );
    expect(parseIptablesSave(dump).diagnostics).toEqual([]);
  });

  test('every table of the ip6tables half reads as IPv6, the mangle table with no address in it too', () => {
    const { ruleset } = parseIptablesSave(v6?.dump ?? '');
    expect(ruleset.tables.map((t) => `${t.name} ${t.family}`)).toEqual(['mangle 6', 'filter 6', 'nat 6']);
  });

  test('an IPv6 pod reaches the IPv6 endpoint', () => {
    const { ruleset } = parseIptablesSave(v6?.dump ?? '');
    const ctx = nodeContext({ nodeIPs: ['2001:db8::1'], podCIDR: 'fd00:10::/64' });
    const trace = simulate(ruleset, ctx, {
      origin: 'pod',
      proto: 'tcp',
      src: 'fd00:10::5',
      sport: 40000,
      dst: 'fd00:172:30::41',
      dport: 80,
    });
    expect(trace.paths.map((p) => `${p.final.verdict} [${p.final.dst}]:${p.final.dport}`)).toEqual([
      'ACCEPT [fd00:10:180::1]:80',
    ]);
  });

  test('a service without IPv6 endpoints is rejected with icmp6-port-unreachable', () => {
    const noV6 = generateFromYaml(yaml.split('---').slice(0, 2).join('---'), {
      clusterCIDR: '10.0.0.0/8,fd00:10::/64',
    });
    expect(noV6.ipv6?.dump).toContain('-j REJECT --reject-with icmp6-port-unreachable');
    expect(noV6.dump).not.toContain('REJECT');
  });
});

describe('Pods as endpoints', () => {
  const yaml = `${service(`  clusterIP: 10.96.0.60
  selector: {app: web}
  ports:
    - {name: http, port: 80, targetPort: web}`)}
---
apiVersion: v1
kind: Pod
metadata: {namespace: shop, name: web-1, labels: {app: web}}
spec:
  nodeName: node-1
  containers: [{name: c, ports: [{name: web, containerPort: 8080}]}]
status:
  podIP: 10.244.0.21
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Pod
metadata: {namespace: shop, name: web-2, labels: {app: web}}
spec:
  containers: [{name: c, ports: [{name: web, containerPort: 8081}]}]
status:
  podIP: 10.244.3.7
  conditions: [{type: Ready, status: "False"}]
---
apiVersion: v1
kind: Pod
metadata: {namespace: shop, name: db, labels: {app: db}}
spec:
  containers: [{name: c, ports: [{name: web, containerPort: 5432}]}]
status: {podIP: 10.244.0.30}
---
apiVersion: v1
kind: Pod
metadata: {namespace: shop, name: web-3, labels: {app: web}}
spec:
  containers: [{name: c, ports: [{name: other, containerPort: 9000}]}]
status: {podIP: 10.244.0.31}
`;
  const result = generateFromYaml(yaml);

  test('matching Pods become endpoints, named targetPorts resolve per Pod, unready Pods are not used', () => {
    expect(result.services[0].endpoints.map((e) => `${e.endpoint} ready=${e.ready} local=${e.isLocal}`)).toEqual([
      '10.244.0.21:8080 ready=true local=true',
      '10.244.3.7:8081 ready=false local=false',
    ]);
    expect(result.dump).toContain('-j DNAT --to-destination 10.244.0.21:8080');
    expect(result.dump).not.toContain('10.244.3.7');
  });

  test('a Pod without the named port is reported where the Service names it', () => {
    const d = result.diagnostics.find((x) => x.code === 'named-target-port');
    expect(d?.message).toContain('Pod shop/web-3');
    expect(d?.span.line).toBe(8);
    expect(result.diagnostics.map((x) => x.code)).toContain('pod-endpoints');
  });
});

describe('ClientIP session affinity', () => {
  const yaml = `${service(`  clusterIP: 10.96.0.70
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}
  ports:
    - {name: http, port: 80}`)}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {namespace: shop, name: web-1, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints: [{addresses: [10.244.0.41]}, {addresses: [10.244.0.42]}]
ports: [{name: http, port: 80, protocol: TCP}]
`;
  const result = generateFromYaml(yaml);
  const sep = (ip: string) =>
    result.services[0].chains.find(
      (c) =>
        c.startsWith('KUBE-SEP-') && result.restore.includes(`-A ${c} -m comment --comment shop/web:http -s ${ip} `),
    );

  test('checks each endpoint with -m recent --rcheck --seconds 600 before splitting', () => {
    expect(result.dump).toMatch(
      /-m recent --rcheck --seconds 600 --reap --name KUBE-SEP-\w+ --mask 255\.255\.255\.255 --rsource/,
    );
    expect(result.dump).toMatch(
      /-m recent --set --name KUBE-SEP-\w+ --mask 255\.255\.255\.255 --rsource -m tcp -j DNAT/,
    );
  });

  test('a client remembered by an endpoint goes back to it, every time', () => {
    const remembered = sep('10.244.0.42');
    expect(remembered).toBeDefined();
    const { ruleset } = parseIptablesSave(result.dump);
    const ctx = nodeContext({ podCIDR: '10.244.0.0/24', recent: { [remembered as string]: ['10.244.0.5'] } });
    const trace = simulate(ruleset, ctx, {
      origin: 'pod',
      proto: 'tcp',
      src: '10.244.0.5',
      sport: 40000,
      dst: '10.96.0.70',
      dport: 80,
    });
    expect(trace.paths.map((p) => [p.probability, p.final.dst])).toEqual([[1, '10.244.0.42']]);
  });

  test('a new client is split evenly', () => {
    const trace = traceTo(result.dump, { dst: '10.96.0.70' });
    expect(trace.paths.map((p) => [p.probability, p.final.dst]).sort()).toEqual([
      [0.5, '10.244.0.41'],
      [0.5, '10.244.0.42'],
    ]);
  });
});

describe('a pasted Node', () => {
  test('gives the node name, node IPs and the pod CIDR for example endpoints', () => {
    const yaml = `${clusterIP3}
---
apiVersion: v1
kind: Node
metadata: {name: worker-7}
spec: {podCIDR: 10.244.7.0/24}
status:
  addresses:
    - {type: InternalIP, address: 192.168.5.7}
    - {type: Hostname, address: worker-7}
`;
    const result = generateFromYaml(yaml, { exampleEndpoints: 1 });
    expect(result.config.nodeName).toBe('worker-7');
    expect(result.config.nodeIPs).toEqual(['192.168.5.7']);
    expect(result.services[0].endpoints.map((e) => [e.endpoint, e.isLocal])).toEqual([['10.244.7.10:8080', true]]);
  });
});

describe('local-traffic detector modes', () => {
  const yaml = `${service(`  type: NodePort
  externalTrafficPolicy: Local
  clusterIP: 10.96.0.80
  ports:
    - {name: http, port: 80, nodePort: 30080}`)}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {namespace: shop, name: web-1, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints: [{addresses: [10.244.0.9], nodeName: node-1}]
ports: [{name: http, port: 80, protocol: TCP}]
`;
  test.each([
    [
      { clusterCIDR: '10.244.0.0/16' },
      '! -s 10.244.0.0/16 -d 10.96.0.80/32 -p tcp',
      '-s 10.244.0.0/16 -m comment --comment "pod traffic',
    ],
    [
      { detectLocal: { mode: 'BridgeInterface' as const, interface: 'cbr0' } },
      '-d 10.96.0.80/32 ! -i cbr0 -p tcp',
      '-i cbr0 -m comment --comment "pod traffic',
    ],
    [
      { detectLocal: { mode: 'InterfaceNamePrefix' as const, prefix: 'veth' } },
      '-d 10.96.0.80/32 ! -i veth+ -p tcp',
      '-i veth+ -m comment --comment "pod traffic',
    ],
  ])('%j', (options, masquerade, shortCircuit) => {
    const { dump } = generateFromYaml(yaml, options);
    expect(dump).toContain(masquerade);
    expect(dump).toContain(shortCircuit);
    expect(parseIptablesSave(dump).diagnostics).toEqual([]);
  });
});

describe('Services kube-proxy leaves alone', () => {
  test.each([
    ['headless', '  clusterIP: None\n  selector: {app: web}\n  ports: [{port: 80}]'],
    ['ExternalName', '  type: ExternalName\n  externalName: example.com\n  ports: [{port: 80}]'],
  ])('%s Services get no rules', (_name, spec) => {
    const result = generateFromYaml(service(spec), { exampleEndpoints: 2 });
    expect(result.services).toEqual([]);
    expect(result.dump).not.toContain('shop/web');
  });

  // TestLoadBalancerIngressRouteTypeProxy: an ingress with ipMode Proxy gets no loadbalancer IP rule.
  test.each([
    ['Proxy', false],
    ['VIP', true],
    [null, true],
  ])('ipMode %s: loadbalancer IP rule %s', (ipMode, expected) => {
    const ingress = ipMode ? `{ip: 1.2.3.4, ipMode: ${ipMode}}` : '{ip: 1.2.3.4}';
    const yaml = service(
      '  type: LoadBalancer\n  clusterIP: 10.20.30.41\n  ports: [{name: p80, port: 80, nodePort: 3001}]',
      'web',
      `status: {loadBalancer: {ingress: [${ingress}]}}`,
    );
    const { restore } = generateFromYaml(yaml, { exampleEndpoints: 1 });
    expect(restore.includes('-d 1.2.3.4 --dport 80')).toBe(expected);
  });
});

describe('health check node ports', () => {
  test.each([
    ['LoadBalancer', 'Local', true],
    ['LoadBalancer', 'Cluster', false],
    ['NodePort', 'Local', false],
  ])('%s with eTP=%s: rule %s', (type, policy, expected) => {
    const yaml = service(
      `  type: ${type}\n  externalTrafficPolicy: ${policy}\n  healthCheckNodePort: 30555\n  clusterIP: 10.96.0.90\n  ports: [{port: 80, nodePort: 30080}]`,
    );
    expect(generateFromYaml(yaml).restore.includes('health check node port')).toBe(expected);
  });
});

describe('a manifest as people write it', () => {
  const yaml = service(`  type: LoadBalancer
  externalTrafficPolicy: Local
  selector: {app: web}
  ports:
    - {name: http, port: 80, targetPort: 8080}
    - {name: https, port: 443, targetPort: 8443, nodePort: 30000}`);

  test('gets the cluster IP, node ports and health check port the API server would allocate', () => {
    const result = generateFromYaml(yaml, { exampleEndpoints: 1 });
    expect(result.diagnostics.map((d) => `${d.code}: ${d.message}`)).toEqual([
      'allocated-cluster-ip: Service shop/web: no clusterIP; using 10.96.0.10 from 10.96.0.0/12, as the API server would allocate one',
      'allocated-node-port: Service shop/web: port 80 has no nodePort; using 30001',
      'allocated-health-check-node-port: Service shop/web: no healthCheckNodePort; using 30002',
      expect.stringMatching(/^example-endpoints: /),
    ]);
    expect(result.dump).toContain('-d 10.96.0.10/32 -p tcp -m comment --comment "shop/web:http cluster IP"');
    expect(result.dump).toContain('--comment "shop/web:http health check node port" -m tcp --dport 30002 -j ACCEPT');
  });

  test('allocate: false leaves it as written (no cluster IP: no rules)', () => {
    const result = generateFromYaml(yaml, { exampleEndpoints: 1, allocate: false });
    expect(result.services).toEqual([]);
  });
});

describe('input as kubectl prints it, and what is wrong with it', () => {
  // `kubectl get svc,endpointslices -n shop -o yaml`: a List, with server-side fields around.
  const kubectl = `apiVersion: v1
items:
- apiVersion: v1
  kind: Service
  metadata:
    creationTimestamp: "2026-11-30T10:00:00Z"
    name: web
    namespace: shop
    resourceVersion: "4711"
    uid: 0b9c6f2e-0000-4000-8000-000000000001
  spec:
    clusterIP: 10.96.0.20
    clusterIPs:
    - 10.96.0.20
    internalTrafficPolicy: Cluster
    ipFamilies:
    - IPv4
    ipFamilyPolicy: SingleStack
    ports:
    - name: http
      port: 80
      protocol: TCP
      targetPort: http
    selector:
      app: web
    sessionAffinity: None
    type: ClusterIP
  status:
    loadBalancer: {}
- addressType: IPv4
  apiVersion: discovery.k8s.io/v1
  endpoints:
  - addresses:
    - 10.244.0.7
    conditions:
      ready: true
      serving: true
      terminating: false
    nodeName: node-1
    targetRef:
      kind: Pod
      name: web-7d4b9c-abcde
      namespace: shop
  kind: EndpointSlice
  metadata:
    labels:
      endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io
      kubernetes.io/service-name: web
    name: web-x7k2p
    namespace: shop
  ports:
  - name: http
    port: 8080
    protocol: TCP
kind: List
metadata:
  resourceVersion: ""
`;

  test('a kubectl List of a Service and its EndpointSlice: the slice’s port number, no complaints', () => {
    const result = generateFromYaml(kubectl);
    expect(result.diagnostics).toEqual([]);
    expect(result.dump).toContain('-j DNAT --to-destination 10.244.0.7:8080');
  });

  test.each([
    ['port-out-of-range', 'error', kubectl.replace('port: 80\n', 'port: 0\n'), 21, 13],
    ['bad-service-type', 'error', kubectl.replace('type: ClusterIP', 'type: Ingress'), 27, 11],
    ['unknown-kind', 'warning', kubectl.replace('kind: EndpointSlice', 'kind: EndpointSlise'), 44, 9],
    [
      'bad-protocol',
      'error',
      kubectl.replace('protocol: TCP\n      targetPort', 'protocol: ICMP\n      targetPort'),
      22,
      17,
    ],
  ])('%s (%s) points at line and column', (code, severity, yaml, line, column) => {
    const d = generateFromYaml(yaml).diagnostics.find((x) => x.code === code);
    expect(d && `${d.severity} ${d.span.line}:${d.span.column}`).toBe(`${severity} ${line}:${column}`);
  });

  test('a Service with neither selector nor endpoints is a warning on the Service; with a selector, info', () => {
    const bare = service('  clusterIP: 10.96.0.9\n  ports: [{port: 80}]');
    const warn = generateFromYaml(bare).diagnostics;
    expect(warn.map((d) => `${d.severity} ${d.code} ${d.span.line}`)).toEqual(['warning missing-selector 1']);
    const info = generateFromYaml(
      service('  clusterIP: 10.96.0.9\n  selector: {app: x}\n  ports: [{port: 80}]'),
    ).diagnostics;
    expect(info.map((d) => `${d.severity} ${d.code}`)).toEqual(['info no-endpoints']);
  });

  test('example endpoints are labelled as such in the dump and in the diagnostics', () => {
    const result = generateFromYaml(clusterIP3, { exampleEndpoints: 2 });
    const label = result.dump.split('\n')[0];
    expect(label).toBe(
      '# chainwalk: not from the cluster: Service shop/web has no endpoints; using 2 example endpoint(s) 10.244.0.10, 10.244.0.11 on node node-1',
    );
    expect(parseIptablesSave(result.dump).diagnostics).toEqual([]);
    expect(generateFromYaml(kubectl, { exampleEndpoints: 2 }).dump).not.toContain('not from the cluster');
  });

  test('legacy Endpoints stand in for a Service without slices, not-ready addresses excluded', () => {
    const yaml = `${service('  clusterIP: 10.96.0.9\n  ports: [{name: p, port: 80}]')}
---
apiVersion: v1
kind: Endpoints
metadata: {namespace: shop, name: web}
subsets:
  - addresses: [{ip: 10.244.1.4, nodeName: node-2}]
    notReadyAddresses: [{ip: 10.244.1.5}]
    ports: [{name: p, port: 8080}]
`;
    const dump = generateFromYaml(yaml).dump;
    expect(dump).toContain('--to-destination 10.244.1.4:8080');
    expect(dump).not.toContain('10.244.1.5');
  });
});
