import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../parse';
import { nodeContext, simulate } from '../sim';
import { buildGraph } from './build';
import { graphToSvg } from './svg';

const text = readFileSync(join(import.meta.dirname, '../../fixtures/samples/iptables-node.rules'), 'utf8');
const { ruleset } = parseIptablesSave(text);
const path = simulate(ruleset, nodeContext({ nodeIPs: ['192.168.56.10/24'] }), {
  origin: 'pod',
  proto: 'tcp',
  src: '10.244.0.12',
  sport: 40000,
  dst: '10.96.12.34',
  dport: 80,
}).paths[0];
const graph = buildGraph(ruleset, path);

describe('the graph as SVG', () => {
  const svg = graphToSvg(graph, { current: graph.path[3] });

  it('draws every node and edge, sized to hold them all', () => {
    expect(svg.match(/<rect [^>]*rx="6"/g)).toHaveLength(graph.nodes.length);
    expect(svg.match(/<path d="M [^"]+ C /g)).toHaveLength(graph.edges.length);
    const [, w, h] = /<svg [^>]*width="(\d+)" height="(\d+)"/.exec(svg) ?? [];
    const right = Math.max(...graph.nodes.map((n) => n.position.x + n.size.width));
    const left = Math.min(...graph.nodes.map((n) => n.position.x));
    expect(Number(w)).toBeGreaterThanOrEqual(right - left);
    expect(Number(h)).toBeGreaterThan(0);
  });

  it('labels chains with their Service, emphasises the route and rings the current node', () => {
    expect(svg).toContain('>KUBE-SERVICES<');
    expect(svg).toContain('>default/web:http<');
    expect(svg.match(/stroke="#f59e0b" stroke-width="2.5"/g)?.length).toBeGreaterThan(3);
    expect(svg.match(/stroke="#0ea5e9" stroke-width="4"/g)).toHaveLength(1);
  });

  it('escapes text, so a hostile chain name or comment is never markup', () => {
    const hostile = { ...graph, nodes: graph.nodes.map((n, i) => (i === 0 ? { ...n, label: '<script>&"' } : n)) };
    const out = graphToSvg(hostile);
    expect(out).not.toContain('<script>');
    expect(out).toContain('&#60;script&#62;&#38;&#34;');
  });

  it('follows the dark theme', () => {
    expect(graphToSvg(graph, { dark: true })).toContain('fill="#020617"');
  });
});
