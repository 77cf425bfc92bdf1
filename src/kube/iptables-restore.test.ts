// The generated iptables-save text is what iptables itself would print: load it with the real
// iptables-restore in a private network namespace (`unshare -n`, gone when the process exits),
// save it again, and compare. Needs root, unshare and iptables; otherwise it says why and skips.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseIptablesSave } from '../parse';
import { generateFromYaml, type KubeProxyOptions } from './index';

function roundTrip(dump: string, family: 4 | 6): { status: number | null; saved: string; stderr: string } {
  const [restore, save] =
    family === 4 ? ['iptables-restore', 'iptables-save'] : ['ip6tables-restore', 'ip6tables-save'];
  const r = spawnSync('unshare', ['-n', 'sh', '-c', `${restore} && ${save}`], {
    input: dump,
    encoding: 'utf8',
    timeout: 20000,
  });
  return { status: r.status, saved: r.stdout ?? '', stderr: r.stderr ?? '' };
}

const unavailable = (() => {
  if (process.getuid?.() !== 0) return 'not root';
  const probe = roundTrip('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n', 4);
  return probe.status === 0
    ? null
    : `unshare -n iptables-restore does not work here: ${probe.stderr.trim() || probe.status}`;
})();
if (unavailable) console.info(`iptables-restore round trip skipped: ${unavailable}`);

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/kube/${name}`, import.meta.url), 'utf8');
const withoutComments = (text: string) => text.split('\n').filter((l) => !l.startsWith('#') && l !== '');

// nfacct counters are objects kube-proxy creates over netlink; a fresh namespace has none, so
// rules naming them cannot load there. Everything else must round-trip byte for byte.
const OPTIONS: KubeProxyOptions = { nodeName: 'test-node', clusterCIDR: '10.0.0.0/8,fd00:10::/64', nfacct: false };

describe.skipIf(unavailable !== null)('iptables-restore then iptables-save gives the generated text back', () => {
  test.each(['overall', 'badips', 'repeated'])('%s', (name) => {
    const { dump } = generateFromYaml(fixture(`${name}.yaml`), { ...OPTIONS, exampleEndpoints: 3 });
    const r = roundTrip(dump, 4);
    expect(r.stderr).toBe('');
    expect(withoutComments(r.saved)).toEqual(withoutComments(dump));
  });

  test('an eTP=Local NodePort with the BridgeInterface detector', () => {
    const yaml = `apiVersion: v1
kind: Service
metadata: {namespace: shop, name: web}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  clusterIP: 10.96.0.80
  ports: [{name: http, port: 80, nodePort: 30080}]
`;
    const detectLocal = { mode: 'BridgeInterface' as const, interface: 'cbr0' };
    const { dump } = generateFromYaml(yaml, { ...OPTIONS, exampleEndpoints: 2, detectLocal });
    const r = roundTrip(dump, 4);
    expect(r.stderr).toBe('');
    expect(withoutComments(r.saved)).toEqual(withoutComments(dump));
  });

  test('source ranges that match everything or carry host bits', () => {
    const yaml = `apiVersion: v1
kind: Service
metadata: {namespace: a, name: b}
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.5
  loadBalancerSourceRanges: [0.0.0.0/0, 10.1.2.3/8]
  ports: [{port: 80, nodePort: 30001}]
status: {loadBalancer: {ingress: [{ip: 1.1.1.1}]}}
`;
    const { dump } = generateFromYaml(yaml, { ...OPTIONS, exampleEndpoints: 1 });
    const r = roundTrip(dump, 4);
    expect(r.stderr).toBe('');
    expect(withoutComments(r.saved)).toEqual(withoutComments(dump));
  });

  test('the ip6tables half of a dual-stack Service', () => {
    const yaml = `apiVersion: v1
kind: Service
metadata: {namespace: ns1, name: svc1}
spec:
  type: LoadBalancer
  clusterIPs: [172.30.0.41, "fd00:172:30::41"]
  loadBalancerSourceRanges: ["2001:db8:aa::/48"]
  sessionAffinity: ClientIP
  ports: [{name: p80, port: 80, nodePort: 3001}, {name: dns, port: 53, protocol: UDP}]
status: {loadBalancer: {ingress: [{ip: "2001:db8:ff::1"}]}}
`;
    const result = generateFromYaml(yaml, { ...OPTIONS, nodeIPs: ['192.168.0.2', '2001:db8::1'] });
    const v6 = result.ipv6?.dump ?? '';
    const withEndpoints = generateFromYaml(
      `${yaml}---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {namespace: ns1, name: svc1-6, labels: {kubernetes.io/service-name: svc1}}
addressType: IPv6
endpoints: [{addresses: ["fd00:10::a"]}, {addresses: ["fd00:10::b"]}, {addresses: ["fd00:10::c"]}]
ports: [{name: p80, port: 8080, protocol: TCP}, {name: dns, port: 53, protocol: UDP}]
`,
      { ...OPTIONS, nodeIPs: ['192.168.0.2', '2001:db8::1'] },
    ).ipv6?.dump;
    for (const dump of [v6, withEndpoints ?? '']) {
      expect(parseIptablesSave(dump).diagnostics).toEqual([]);
      const r = roundTrip(dump, 6);
      expect(r.stderr).toBe('');
      expect(withoutComments(r.saved)).toEqual(withoutComments(dump));
    }
  });
});

/** Services of every shape kube-proxy distinguishes, drawn from a seeded generator. */
function variedServices(seed: number, count: number): string {
  let state = seed;
  const next = (n: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
  const pick = <T>(xs: readonly T[]) => xs[next(xs.length)];
  const docs: string[] = [];
  for (let i = 0; i < count; i++) {
    const type = pick(['ClusterIP', 'NodePort', 'LoadBalancer'] as const);
    const protocols = Array.from({ length: 1 + next(3) }, () => pick(['TCP', 'UDP', 'SCTP']));
    const ports = protocols.map((protocol, j) => {
      const nodePort = type === 'ClusterIP' ? '' : `, nodePort: ${30000 + i * 3 + j}`;
      return `{name: p${j}, port: ${80 + j}, protocol: ${protocol}, targetPort: ${8080 + j}${nodePort}}`;
    });
    const lines = [
      'apiVersion: v1',
      'kind: Service',
      `metadata: {namespace: ns${i % 4}, name: svc${i}}`,
      'spec:',
      `  type: ${type}`,
      `  clusterIP: 172.30.${i >> 8}.${i & 255}`,
      `  ports: [${ports.join(', ')}]`,
    ];
    if (type !== 'ClusterIP' && next(2))
      lines.push('  externalTrafficPolicy: Local', `  healthCheckNodePort: ${32000 + i}`);
    if (next(3) === 0) lines.push('  internalTrafficPolicy: Local');
    if (next(3) === 0) lines.push(`  externalIPs: [192.168.99.${i & 255}]`);
    if (next(3) === 0)
      lines.push(
        `  sessionAffinity: ClientIP`,
        `  sessionAffinityConfig: {clientIP: {timeoutSeconds: ${60 + next(1000)}}}`,
      );
    if (type === 'LoadBalancer') {
      if (next(2)) lines.push('  loadBalancerSourceRanges: [203.0.113.0/25, 192.168.0.0/16]');
      lines.push(`status: {loadBalancer: {ingress: [{ip: 5.6.${i >> 8}.${i & 255}}]}}`);
    }
    docs.push(lines.join('\n'));
    const endpoints = Array.from({ length: next(5) }, (_, k) => {
      const node = pick(['test-node', 'other-node']);
      const ready = next(4) !== 0;
      return `  - {addresses: [10.${i & 255}.${k}.${1 + next(250)}], nodeName: ${node}, conditions: {ready: ${ready}, serving: ${ready || next(2) === 0}, terminating: ${!ready}}}`;
    });
    if (endpoints.length > 0) {
      const slicePorts = protocols.map((protocol, j) => `{name: p${j}, port: ${8080 + j}, protocol: ${protocol}}`);
      docs.push(
        [
          'apiVersion: discovery.k8s.io/v1',
          'kind: EndpointSlice',
          `metadata: {namespace: ns${i % 4}, name: svc${i}-1, labels: {kubernetes.io/service-name: svc${i}}}`,
          'addressType: IPv4',
          'endpoints:',
          ...endpoints,
          `ports: [${slicePorts.join(', ')}]`,
        ].join('\n'),
      );
    }
  }
  return docs.join('\n---\n');
}

test('the varied Services cover every rule shape', () => {
  const dump = generateFromYaml(variedServices(1, 60), OPTIONS).dump;
  for (const shape of [
    '-j KUBE-FW-',
    '-j KUBE-SVL-',
    '-p sctp',
    '-p udp',
    '--rcheck',
    'has no local endpoints',
    'has no endpoints',
    'health check node port',
    'external IP',
    '--probability 0.33333333349',
    'pod traffic for',
  ]) {
    expect(dump).toContain(shape);
  }
});

describe.skipIf(unavailable !== null)('varied Services round-trip through iptables', () => {
  test.each([1, 2, 3])('seed %i: 60 Services', (seed) => {
    const result = generateFromYaml(variedServices(seed, 60), OPTIONS);
    // Some of them have neither selector nor endpoints on purpose (missing-selector).
    expect(result.diagnostics.filter((d) => d.severity !== 'info' && d.code !== 'missing-selector')).toEqual([]);
    expect(parseIptablesSave(result.dump).diagnostics).toEqual([]);
    const r = roundTrip(result.dump, 4);
    expect(r.stderr).toBe('');
    expect(withoutComments(r.saved)).toEqual(withoutComments(result.dump));
  });
});

describe.skipIf(unavailable !== null)('the older layouts round-trip through iptables too', () => {
  test.each([
    ['v1.24.9', '1.24'],
    ['1.23', 'legacy'],
    ['1.19.4', 'legacy'],
  ] as const)('seed 4, kube-proxy %s (%s layout), both families', (kubeProxyVersion, layout) => {
    const dualStack = variedServices(4, 40).replaceAll(
      /clusterIP: (172\.30\.\d+\.\d+)/g,
      'clusterIPs: [$1, "fd00::$1"]',
    );
    const result = generateFromYaml(dualStack, { ...OPTIONS, kubeProxyVersion, exampleEndpoints: 2 });
    expect(result.config.layout).toBe(layout);
    expect(result.ipv6).not.toBeNull();
    for (const [dump, family] of [
      [result.dump, 4],
      [result.ipv6?.dump ?? '', 6],
    ] as const) {
      expect(parseIptablesSave(dump).diagnostics).toEqual([]);
      const r = roundTrip(dump, family);
      expect(r.stderr).toBe('');
      expect(withoutComments(r.saved)).toEqual(withoutComments(dump));
    }
  });
});
