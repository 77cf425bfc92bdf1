// How long Service YAML → rules takes, as the editor would run it on every keystroke:
// generateFromYaml plus serviceSourceMap, median of many runs after warm-up.
//   node --import tsx bench/kube.ts
import { readFileSync } from 'node:fs';
import { generateFromYaml, serviceSourceMap } from '../src/kube';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/kube/${name}`, import.meta.url), 'utf8');
const many = (n: number) =>
  Array.from(
    { length: n },
    (_, i) => `apiVersion: v1
kind: Service
metadata: {namespace: ns${i % 5}, name: svc${i}}
spec:
  type: ${i % 3 === 0 ? 'LoadBalancer' : 'NodePort'}
  clusterIP: 10.96.${i >> 8}.${i & 255}
  ports: [{name: http, port: 80, targetPort: 8080}, {name: dns, port: 53, protocol: UDP}]
status: {loadBalancer: {ingress: [{ip: 203.0.${i >> 8}.${i & 255}}]}}`,
  ).join('\n---\n');

const inputs: [string, string][] = [
  ['TestOverallIPTablesRules (6 Services)', fixture('overall.yaml')],
  ['kernel-mix.yaml (10 Services, dual-stack)', fixture('kernel-mix.yaml')],
  ['50 Services, 3 example endpoints each', many(50)],
];
for (const [name, yaml] of inputs) {
  const run = () => {
    const result = generateFromYaml(yaml, { exampleEndpoints: 3 });
    serviceSourceMap(yaml, result);
  };
  for (let i = 0; i < 30; i++) run();
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const p = (q: number) => times[Math.floor(q * (times.length - 1))].toFixed(2);
  console.log(`${name}: median ${p(0.5)} ms, p95 ${p(0.95)} ms`);
}
