// The layouts of older kube-proxy releases. Expected rules are read off the releases' own
// syncProxyRules (release-1.23 and release-1.24 pkg/proxy/iptables/proxier.go, quoted per test),
// applied to TestOverallIPTablesRules' Services (fixtures/kube/overall.yaml) in NewFakeProxier's
// environment. kube-proxy's 1.23/1.24 proxier_test.go dumps were not available to compare with.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { endpointChain, servicePortChain } from './hash';
import { generateFromYaml, type KubeProxyOptions, layoutForVersion } from './index';
import { chainRules, checkIPTablesRuleJumps, FAKE_PROXIER } from './proxier-testing';

const overall = readFileSync(new URL('../../fixtures/kube/overall.yaml', import.meta.url), 'utf8');
const generate = (options: KubeProxyOptions, yaml = overall) => generateFromYaml(yaml, { ...FAKE_PROXIER, ...options });
const chains = (restore: string, table: string) =>
  restore
    .split('*')
    .find((t) => t.startsWith(table))
    ?.split('\n')
    .filter((l) => l.startsWith(':'))
    .map((l) => l.slice(1).split(' ')[0]) ?? [];

describe('layoutForVersion maps releases to layouts', () => {
  test.each([
    ['1.31', 'current', null],
    ['v1.25.0', 'current', null],
    ['1.24', '1.24', null],
    ['v1.24.17', '1.24', null],
    ['1.23.5', 'legacy', null],
    ['1.20', 'legacy', null],
    ['1.18', 'legacy', 'differed in details'],
    ['2.0', 'current', null],
  ])('%s → %s', (text, layout, caveat) => {
    const got = layoutForVersion(text);
    expect(got.layout).toBe(layout);
    if (caveat) expect(got.caveat).toContain(caveat);
    else expect(got.caveat).toBeNull();
  });

  test('text that is no version keeps the current layout and says so', () => {
    expect(layoutForVersion('latest').version).toBeNull();
    const result = generate({ kubeProxyVersion: 'latest' });
    expect(result.config.layout).toBe('current');
    expect(result.diagnostics.map((d) => d.code)).toContain('kube-proxy-version');
  });

  test('an explicit layout wins over the version', () => {
    expect(generate({ kubeProxyVersion: '1.23', layout: 'current' }).config.layout).toBe('current');
  });
});

describe('1.23 and before: KUBE-XLB, KUBE-FW per LB IP, KUBE-MARK-DROP', () => {
  const { restore, dump } = generate({ kubeProxyVersion: '1.23' });

  test('no KUBE-EXT, KUBE-SVL or KUBE-PROXY-FIREWALL chain exists', () => {
    expect(restore).not.toMatch(/KUBE-EXT-|KUBE-SVL-|KUBE-PROXY-FIREWALL/);
    expect(chains(restore, 'nat')).toContain('KUBE-XLB-GNZBNJ2PO5MGZ6GT');
  });

  test('kubelet’s KUBE-MARK-DROP and KUBE-FIREWALL are on the node (kubelet_network_linux.go)', () => {
    expect(chainRules(restore, 'nat', 'KUBE-MARK-DROP')).toEqual([
      '-A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000',
    ]);
    expect(chainRules(restore, 'filter', 'KUBE-FIREWALL')[0]).toBe(
      '-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP',
    );
    expect(generate({ kubeProxyVersion: '1.23', jumpRules: true }).dump).toContain('-A INPUT -j KUBE-FIREWALL');
    expect(dump).not.toContain('KUBE-PROXY-FIREWALL');
  });

  test('eTP=Local with no local endpoint: KUBE-XLB redirects pods and the node, then marks for drop', () => {
    // "First rule in the chain redirects all pod -> external VIP traffic to the Service's ClusterIP
    // instead"; then "masquerade LOCAL traffic", "route LOCAL traffic", "Blackhole all traffic".
    expect(chainRules(restore, 'nat', 'KUBE-XLB-GNZBNJ2PO5MGZ6GT')).toEqual([
      '-A KUBE-XLB-GNZBNJ2PO5MGZ6GT -m comment --comment "Redirect pods trying to reach external loadbalancer VIP to clusterIP" -s 10.0.0.0/8 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT',
      '-A KUBE-XLB-GNZBNJ2PO5MGZ6GT -m comment --comment "masquerade LOCAL traffic for ns2/svc2:p80 LB IP" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ',
      '-A KUBE-XLB-GNZBNJ2PO5MGZ6GT -m comment --comment "route LOCAL traffic for ns2/svc2:p80 LB IP to service chain" -m addrtype --src-type LOCAL -j KUBE-SVC-GNZBNJ2PO5MGZ6GT',
      '-A KUBE-XLB-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 has no local endpoints" -j KUBE-MARK-DROP',
    ]);
  });

  test('the eTP=Local node port masquerades localhost only and goes to KUBE-XLB', () => {
    expect(chainRules(restore, 'nat', 'KUBE-NODEPORTS').filter((r) => r.includes('ns2/svc2'))).toEqual([
      '-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -s 127.0.0.0/8 -j KUBE-MARK-MASQ',
      '-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -j KUBE-XLB-GNZBNJ2PO5MGZ6GT',
    ]);
  });

  test('an LB IP without source ranges still goes through KUBE-FW, which ends in KUBE-MARK-DROP', () => {
    expect(chainRules(restore, 'nat', 'KUBE-FW-GNZBNJ2PO5MGZ6GT')).toEqual([
      '-A KUBE-FW-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 loadbalancer IP" -j KUBE-XLB-GNZBNJ2PO5MGZ6GT',
      '-A KUBE-FW-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 loadbalancer IP" -j KUBE-MARK-DROP',
    ]);
  });

  test('Cluster policy masquerades in KUBE-FW, then lets only the source ranges on to KUBE-SVC', () => {
    expect(chainRules(restore, 'nat', 'KUBE-FW-NUKIZ6OKUXPJNT4C')).toEqual([
      '-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 loadbalancer IP" -j KUBE-MARK-MASQ',
      '-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-SVC-NUKIZ6OKUXPJNT4C',
      '-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 loadbalancer IP" -j KUBE-MARK-DROP',
    ]);
  });

  test('Cluster-policy node ports and external IPs masquerade in KUBE-SVC; endpoint rules carry the bare name', () => {
    expect(chainRules(restore, 'nat', 'KUBE-SVC-4SW47YFZTEDKD3PK')).toEqual([
      '-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
      '-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 external IP" -m tcp -p tcp -d 192.168.99.33 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
      '-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment ns4/svc4:p80 -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC',
      '-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment ns4/svc4:p80 -j KUBE-SEP-C6EBXVWJJZMIWKLZ',
    ]);
    expect(chainRules(restore, 'nat', 'KUBE-SVC-X27LE4BHSL4DOUIK')).toContain(
      '-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment ns3/svc3:p80 -m tcp -p tcp --dport 3003 -j KUBE-MARK-MASQ',
    );
  });

  test('no endpoints means REJECT everywhere and no filter DROPs; no nfacct, no localhost special case', () => {
    const filterDrops = chainRules(restore, 'filter', 'KUBE-SERVICES').concat(
      chainRules(restore, 'filter', 'KUBE-EXTERNAL-SERVICES'),
    );
    expect(filterDrops.filter((r) => r.endsWith('-j DROP'))).toEqual([]);
    expect(chainRules(restore, 'filter', 'KUBE-EXTERNAL-SERVICES')).toEqual([]);
    expect(restore).not.toContain('nfacct');
    expect(chainRules(restore, 'nat', 'KUBE-SERVICES').at(-1)).toBe(
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    );
  });

  test('internalTrafficPolicy Local leaves only this node’s endpoints, for all traffic (topology.go FilterEndpoints)', () => {
    const yaml = `apiVersion: v1
kind: Service
metadata: {namespace: a, name: itp}
spec:
  type: NodePort
  internalTrafficPolicy: Local
  clusterIP: 10.96.0.9
  ports: [{name: p, port: 80, nodePort: 30009}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {namespace: a, name: itp-1, labels: {kubernetes.io/service-name: itp}}
addressType: IPv4
endpoints: [{addresses: [10.1.0.1], nodeName: other}, {addresses: [10.1.0.2], nodeName: test-node}]
ports: [{name: p, port: 8080, protocol: TCP}]
`;
    const svcChain = servicePortChain('KUBE-SVC-', 'a/itp:p', 'tcp');
    const svc = (r: string) => chainRules(r, 'nat', svcChain);
    expect(svc(generate({ kubeProxyVersion: '1.23' }, yaml).restore).filter((r) => r.includes('KUBE-SEP'))).toEqual([
      `-A ${svcChain} -m comment --comment a/itp:p -j ${endpointChain('a/itp:p', 'tcp', '10.1.0.2:8080')}`,
    ]);
    const remoteOnly = yaml.replace('nodeName: test-node', 'nodeName: other');
    expect(chainRules(generate({ kubeProxyVersion: '1.23' }, remoteOnly).restore, 'filter', 'KUBE-SERVICES')).toEqual([
      '-A KUBE-SERVICES -m comment --comment "a/itp:p has no endpoints" -m tcp -p tcp -d 10.96.0.9 --dport 80 -j REJECT',
    ]);
  });

  test('every jump has a target with rules (checkIPTablesRuleJumps)', () => {
    expect(checkIPTablesRuleJumps(restore)).toEqual([]);
  });
});

describe('1.24: KUBE-EXT and KUBE-SVL, still dropping through KUBE-MARK-DROP', () => {
  const { restore } = generate({ kubeProxyVersion: '1.24' });

  test('no KUBE-PROXY-FIREWALL, no KUBE-XLB; KUBE-MARK-DROP is there', () => {
    expect(restore).not.toMatch(/KUBE-PROXY-FIREWALL|KUBE-XLB-/);
    expect(chains(restore, 'nat')).toEqual(expect.arrayContaining(['KUBE-MARK-DROP', 'KUBE-SVL-GNZBNJ2PO5MGZ6GT']));
  });

  test('no local endpoints: KUBE-SVL marks for drop, and KUBE-EXT always falls through to it', () => {
    // "Blackhole all traffic since there are no local endpoints" (1.24 syncProxyRules)
    expect(chainRules(restore, 'nat', 'KUBE-SVL-GNZBNJ2PO5MGZ6GT')).toEqual([
      '-A KUBE-SVL-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 has no local endpoints" -j KUBE-MARK-DROP',
    ]);
    expect(chainRules(restore, 'nat', 'KUBE-EXT-GNZBNJ2PO5MGZ6GT').at(-1)).toBe(
      '-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -j KUBE-SVL-GNZBNJ2PO5MGZ6GT',
    );
    expect(chainRules(restore, 'filter', 'KUBE-EXTERNAL-SERVICES')).toEqual([]);
  });

  test('the node port, LB IP and external IP of a Service with only remote endpoints still go to KUBE-EXT', () => {
    const nat = chainRules(restore, 'nat', 'KUBE-SERVICES').filter((r) => r.includes('ns2/svc2'));
    expect(nat.map((r) => r.split(' -j ')[1])).toEqual([
      'KUBE-SVC-GNZBNJ2PO5MGZ6GT',
      'KUBE-EXT-GNZBNJ2PO5MGZ6GT',
      'KUBE-EXT-GNZBNJ2PO5MGZ6GT',
    ]);
  });

  test('source ranges: KUBE-FW lets them on to KUBE-EXT and marks the rest for drop', () => {
    expect(chainRules(restore, 'nat', 'KUBE-FW-NUKIZ6OKUXPJNT4C')).toEqual([
      '-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-NUKIZ6OKUXPJNT4C',
      '-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 loadbalancer IP" -j KUBE-MARK-DROP',
    ]);
  });

  test('node ports: no localhost nfacct rule; KUBE-FORWARD drops INVALID without a counter', () => {
    expect(chainRules(restore, 'nat', 'KUBE-NODEPORTS')).not.toContainEqual(expect.stringContaining('127.0.0.0/8'));
    expect(chainRules(generate({ kubeProxyVersion: '1.24', nfacct: true }).restore, 'filter', 'KUBE-FORWARD')[0]).toBe(
      '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    );
  });

  test('every jump has a target with rules (checkIPTablesRuleJumps)', () => {
    expect(checkIPTablesRuleJumps(restore)).toEqual([]);
  });
});

test('the current layout is unchanged by the version option', () => {
  expect(generate({ kubeProxyVersion: '1.29' }).restore).toBe(generate({}).restore);
});

describe('a real node in the XLB layout (fixtures/kube/kind-xlb.grep.rules)', () => {
  const grep = readFileSync(new URL('../../fixtures/kube/kind-xlb.grep.rules', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('-A '));
  const yaml = `apiVersion: v1
kind: Service
metadata: {namespace: default, name: test-svc}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  clusterIP: 10.96.115.88
  ports: [{port: 80, targetPort: 80, nodePort: 32070}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {namespace: default, name: test-svc-1, labels: {kubernetes.io/service-name: test-svc}}
addressType: IPv4
endpoints: [{addresses: [10.244.1.3], nodeName: kind-worker2}, {addresses: [10.244.2.3], nodeName: kind-control-plane}]
ports: [{port: 80, protocol: TCP}]
`;
  const ours = generateFromYaml(yaml, {
    nodeName: 'kind-worker',
    clusterCIDR: '10.244.0.0/16',
    kubeProxyVersion: '1.21',
  })
    .dump.split('\n')
    .filter((l) => l.includes('test-svc'));

  test('12 of its 13 rules are generated as the node printed them', () => {
    expect(grep.filter((l) => ours.includes(l))).toHaveLength(12);
  });

  test('the 13th is the older place of the cluster IP masquerade: KUBE-SERVICES, where 1.23 has it in KUBE-SVC', () => {
    expect(grep.filter((l) => !ours.includes(l))).toEqual([
      '-A KUBE-SERVICES ! -s 10.244.0.0/16 -d 10.96.115.88/32 -p tcp -m comment --comment "default/test-svc cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ',
    ]);
    expect(ours).toContain(
      '-A KUBE-SVC-QKNQQNIN727HO3XU ! -s 10.244.0.0/16 -d 10.96.115.88/32 -p tcp -m comment --comment "default/test-svc cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ',
    );
  });
});

test.each([
  ['current', 'falls back to the serving-terminating local endpoint', true],
  ['1.24', 'drops: ProxyTerminatingEndpoints was off by default', false],
  ['legacy', 'drops: ProxyTerminatingEndpoints was off by default', false],
] as const)('eTP=Local with only a terminating local endpoint, %s layout, %s', (layout, _what, usesIt) => {
  const yaml = `apiVersion: v1
kind: Service
metadata: {namespace: a, name: t}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  clusterIP: 10.96.0.7
  ports: [{name: p, port: 80, nodePort: 30007}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {namespace: a, name: t-1, labels: {kubernetes.io/service-name: t}}
addressType: IPv4
endpoints:
  - {addresses: [10.1.0.1], nodeName: other}
  - {addresses: [10.1.0.2], nodeName: test-node, conditions: {ready: false, serving: true, terminating: true}}
ports: [{name: p, port: 8080, protocol: TCP}]
`;
  const { restore } = generate({ layout }, yaml);
  const sep = endpointChain('a/t:p', 'tcp', '10.1.0.2:8080');
  expect(restore.includes(`-j ${sep}`)).toBe(usesIt);
  expect(restore.includes('"a/t:p has no local endpoints"')).toBe(!usesIt);
});
