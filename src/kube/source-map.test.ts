import { describe, expect, test } from 'vitest';
import { servicePortChain } from './hash';
import { generateFromYaml, serviceAt, serviceOfChain, serviceSourceMap } from './index';

const YAML = `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata: {namespace: shop, name: web}
    spec:
      type: NodePort
      clusterIPs: [10.96.0.20, "fd00::20"]
      ports:
        - {name: http, port: 80, nodePort: 30080}
        - name: dns
          port: 53
          protocol: UDP
---
# a second document
apiVersion: v1
kind: Service
metadata: {namespace: shop, name: db}
spec:
  clusterIP: 10.96.0.30
  ports: [{port: 5432}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {namespace: shop, name: web-4, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints: [{addresses: [10.244.0.7]}, {addresses: [10.244.0.8]}]
ports: [{name: http, port: 8080}, {name: dns, port: 53, protocol: UDP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {namespace: shop, name: web-6, labels: {kubernetes.io/service-name: web}}
addressType: IPv6
endpoints: [{addresses: ["fd00:10:244::7"]}]
ports: [{name: http, port: 8080}, {name: dns, port: 53, protocol: UDP}]
`;
const result = generateFromYaml(YAML, { exampleEndpoints: 2, nodeIPs: ['192.168.0.2', 'fd00::2'] });
const map = serviceSourceMap(YAML, result);
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('serviceSourceMap', () => {
  test('each Service has the range of its document or List item, each port the range of its entry', () => {
    expect(
      map.services.map((s) => `${s.namespace}/${s.name} ${s.range.line}:${s.range.column}-${s.range.endLine}`),
    ).toEqual(['shop/web 4:5-15', 'shop/db 17:1-23']);
    const [http, dns] = map.services[0].ports;
    expect([http.servicePortName, http.range.line, http.range.column, http.range.endLine]).toEqual([
      'shop/web:http',
      11,
      11,
      11,
    ]);
    expect([dns.servicePortName, dns.protocol, dns.range.line, dns.range.endLine]).toEqual([
      'shop/web:dns',
      'UDP',
      12,
      15,
    ]);
    expect(map.services[1].ports.map((p) => p.servicePortName)).toEqual(['shop/db']);
  });

  test('a port lists the chains of both families; the names are shared, the endpoints are not', () => {
    const svc = servicePortChain('KUBE-SVC-', 'shop/web:http', 'tcp');
    const chains = map.services[0].ports[0].chains;
    expect(chains).toContainEqual({ family: 4, chain: svc });
    expect(chains.filter((c) => c.family === 4 && c.chain.startsWith('KUBE-SEP-'))).toHaveLength(2);
    expect(map.chains.get(svc)?.map((c) => c.family)).toEqual([4, 6]);
  });

  test.each([
    [12, 11, 'shop/web', 'shop/web:dns'],
    [13, 11, 'shop/web', 'shop/web:dns'],
    [11, 20, 'shop/web', 'shop/web:http'],
    [6, 5, 'shop/web', null],
    [22, 12, 'shop/db', 'shop/db'],
    [22, 3, 'shop/db', null],
    [2, 1, null, null],
    [16, 1, null, null],
  ])('YAML %i:%i is in %s, port %s', (line, column, service, port) => {
    const at = serviceAt(map, line, column);
    expect(at ? `${at.service.namespace}/${at.service.name}` : null).toBe(service);
    expect(at?.port?.servicePortName ?? null).toBe(port);
  });

  test('a chain leads back to its Service port; kube-proxy’s fixed chains to none', () => {
    const ext = servicePortChain('KUBE-EXT-', 'shop/web:http', 'tcp');
    expect(serviceOfChain(map, ext)?.port.servicePortName).toBe('shop/web:http');
    expect(serviceOfChain(map, 'KUBE-SERVICES')).toBeNull();
  });

  test('each chain’s declaration line in the dump of its family', () => {
    const svc = servicePortChain('KUBE-SVC-', 'shop/db', 'tcp');
    expect(map.dumpLines[4].get(svc)).toBe(lineOf(result.dump, `:${svc} `));
    const v6sep = map.services[0].ports[0].chains.find((c) => c.family === 6)?.chain ?? '';
    expect(map.dumpLines[6].get(v6sep)).toBe(lineOf(result.ipv6?.dump ?? '', `:${v6sep} `));
    expect(map.dumpLines[4].get('KUBE-SERVICES')).toBe(lineOf(result.dump, ':KUBE-SERVICES '));
  });
});
