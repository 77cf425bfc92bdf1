import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKubeProxyDump, NODE_IP, POD_CIDR, worstService } from '../../bench/gen';
import type { Packet, Ruleset, TracePath } from '../model';
import { parseIptablesSave, parseNodeDump } from '../parse';
import { nodeContext, simulate } from '../sim';
import {
  buildGraph,
  chainNodeId,
  type Graph,
  type GraphNode,
  groupNodeId,
  hookNodeId,
  servicePortName,
  thousands,
} from '.';

const fixtureDir = join(import.meta.dirname, '../../fixtures/kernel');
const fixture = (name: string) => readFileSync(join(fixtureDir, name), 'utf8');
const parse = (text: string): Ruleset => parseIptablesSave(text, { checkRules: false }).ruleset;

// kube-cluster.rules: node 192.168.0.2, pods 10.244.0.0/24; default/api:grpc is 10.96.10.30:9000 with two endpoints.
const ctx = nodeContext({ nodeIPs: ['192.168.0.2'], podCIDR: '10.244.0.0/24' });
const podToApi: Packet = {
  origin: 'pod',
  proto: 'tcp',
  src: '10.244.0.5',
  sport: 40000,
  dst: '10.96.10.30',
  dport: 9000,
};

function traced(ruleset: Ruleset, packet: Packet): TracePath {
  const [path] = simulate(ruleset, ctx, packet).paths;
  return path;
}

const node = (graph: Graph, id: string): GraphNode => {
  const found = graph.nodes.find((n) => n.id === id);
  if (!found) throw new Error(`no node ${id}`);
  return found;
};
const chain = (graph: Graph, id: string) => {
  const found = node(graph, id);
  if (found.kind !== 'chain') throw new Error(`${id} is a ${found.kind}`);
  return found;
};
const nat = (name: string) => chainNodeId(4, 'nat', name);

/** What every graph must satisfy, whatever the input. */
function expectWellFormed(graph: Graph, maxNodes = 1000) {
  const ids = graph.nodes.map((n) => n.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(graph.nodes.length).toBeLessThanOrEqual(maxNodes);
  const known = new Set(ids);
  for (const edge of graph.edges) {
    expect(known.has(edge.source), `${edge.id} source`).toBe(true);
    expect(known.has(edge.target), `${edge.id} target`).toBe(true);
  }
  for (const id of graph.path) expect(known.has(id), `path node ${id}`).toBe(true);
  for (const n of graph.nodes) {
    expect(Number.isFinite(n.position.x) && Number.isFinite(n.position.y), n.id).toBe(true);
    if (n.kind === 'chain' && n.parent) expect(known.has(n.parent)).toBe(true);
  }
}

describe('every kernel fixture', () => {
  const names = readdirSync(fixtureDir).filter((name) => name.endsWith('.rules'));
  it.each(names)('%s builds a well-formed graph with all its chains', (name) => {
    const ruleset = parse(fixture(name));
    const graph = buildGraph(ruleset);
    expectWellFormed(graph);
    const chains = ruleset.tables.reduce((n, t) => n + t.chains.length, 0);
    expect(graph.nodes.filter((n) => n.kind === 'chain')).toHaveLength(chains);
    expect(graph.nodes.filter((n) => n.kind === 'group')).toEqual([]);
  });
});

describe('the spine', () => {
  const graph = buildGraph(parse(fixture('netfilter-edges.rules')), undefined, { layout: false });
  const x = (id: string) => node(graph, id).position.x;

  it('runs left to right in kernel order', () => {
    expect(x(hookNodeId('PREROUTING'))).toBeLessThan(x('s:routing'));
    expect(x('s:routing')).toBeLessThan(x(hookNodeId('FORWARD')));
    expect(x(hookNodeId('FORWARD'))).toBeLessThan(x(hookNodeId('POSTROUTING')));
    expect(x(hookNodeId('INPUT'))).toBeLessThan(x('s:local'));
    expect(x('s:local')).toBeLessThan(x(hookNodeId('OUTPUT')));
  });

  // [hook, its base chains top to bottom, as design.md orders the tables]
  const orders: [string, string[]][] = [
    ['PREROUTING', ['raw', 'mangle', 'nat']],
    ['INPUT', ['mangle', 'filter', 'security', 'nat']],
    ['FORWARD', ['mangle', 'filter', 'security']],
    ['OUTPUT', ['raw', 'mangle', 'nat', 'filter', 'security']],
    ['POSTROUTING', ['mangle', 'nat']],
  ];
  it.each(orders)('%s holds its tables in priority order', (hook, tables) => {
    const inside = graph.nodes
      .filter((n) => n.kind === 'chain' && n.parent === hookNodeId(hook as 'INPUT'))
      .sort((a, b) => a.position.y - b.position.y);
    const present = tables.filter((t) => inside.some((n) => n.kind === 'chain' && n.table === t));
    expect(inside.map((n) => n.label)).toEqual(present);
    expect(present.length).toBeGreaterThan(0);
  });

  it('links the base chains of a hook in order, and hooks along the packet flow', () => {
    const flow = graph.edges.filter((e) => e.kind === 'flow').map((e) => `${e.source} ${e.target}`);
    expect(flow).toContain(`${chainNodeId(4, 'mangle', 'POSTROUTING')} ${chainNodeId(4, 'nat', 'POSTROUTING')}`);
    expect(flow).toContain('h:PREROUTING s:routing');
    expect(flow).toContain('s:routing h:INPUT');
    expect(flow).toContain('h:OUTPUT h:POSTROUTING');
  });

  it('names each family when a dump holds IPv4 and IPv6', () => {
    const both = buildGraph(parse(fixture('kube-cluster.rules') + fixture('kube-v6.rules')), undefined, {
      layout: false,
    });
    expectWellFormed(both);
    expect(node(both, chainNodeId(6, 'nat', 'PREROUTING')).label).toBe('nat v6');
    expect(node(both, chainNodeId(4, 'nat', 'PREROUTING')).label).toBe('nat v4');
  });
});

describe('user chains', () => {
  const graph = buildGraph(parse(fixture('kube-cluster.rules')));

  // [chain, kind, Service from kube-proxy's comments]
  const labels: [string, string, string | undefined][] = [
    ['KUBE-SERVICES', 'SERVICES', undefined],
    ['KUBE-NODEPORTS', 'NODEPORTS', undefined],
    ['KUBE-SVC-BEA4T34QEWGUELNC', 'SVC', 'default/api:grpc'],
    ['KUBE-SEP-NU3BPPQATML4BLHQ', 'SEP', 'default/api:grpc'],
    ['KUBE-EXT-CDGGSHYLG3RE2FKL', 'EXT', 'default/web:http'],
    ['KUBE-SVL-YT5H4GNZ5V5MOQZS', 'SVL', 'default/local-only'],
    ['KUBE-POSTROUTING', 'other', undefined],
    ['PREROUTING', 'base', undefined],
  ];
  it.each(labels)('%s is a %s chain of %s', (name, kind, service) => {
    const n = chain(graph, nat(name));
    expect(n.chainKind).toBe(kind);
    expect(n.service).toBe(service);
  });

  it('counts rules and jumps', () => {
    expect(chain(graph, nat('KUBE-SVC-BEA4T34QEWGUELNC')).counts).toEqual({ rules: 5, jumpsIn: 1, jumpsOut: 5 });
  });

  it('hangs chains off the spine by their jumps', () => {
    const jump = graph.edges.find((e) => e.source === nat('PREROUTING') && e.target === nat('KUBE-SERVICES'));
    expect(jump).toMatchObject({ kind: 'jump', count: 1 });
  });

  it('shows jumps to KUBE-MARK-MASQ as badges, not edges', () => {
    expect(graph.edges.filter((e) => e.target === nat('KUBE-MARK-MASQ'))).toEqual([]);
    const svc = chain(graph, nat('KUBE-SVC-BEA4T34QEWGUELNC'));
    // -A KUBE-SVC-BEA4T34QEWGUELNC ! -s 10.244.0.0/16 -d 10.96.10.30/32 … -j KUBE-MARK-MASQ is its first rule.
    expect(svc.badges).toEqual([{ chain: 'KUBE-MARK-MASQ', ruleIds: [expect.any(Number)], positions: [1] }]);
    expect(chain(graph, nat('KUBE-MARK-MASQ')).utility).toBe(true);
  });

  it('draws a goto as a goto edge', () => {
    const edges = buildGraph(parse(fixture('netfilter-edges.rules'))).edges;
    expect(edges.filter((e) => e.kind === 'goto').map((e) => e.target)).toEqual(
      expect.arrayContaining([chainNodeId(4, 'filter', 'J3')]),
    );
  });

  it('lays user chains out below the spine, without overlaps', () => {
    const spineBottom = Math.max(
      ...graph.nodes.filter((n) => n.kind === 'hook').map((n) => n.position.y + n.size.height),
    );
    const users = graph.nodes.filter((n) => n.kind === 'chain' && !n.parent);
    for (const n of users) expect(n.position.y).toBeGreaterThan(spineBottom);
    const overlap = (a: GraphNode, b: GraphNode) =>
      a.position.x < b.position.x + b.size.width &&
      b.position.x < a.position.x + a.size.width &&
      a.position.y < b.position.y + b.size.height &&
      b.position.y < a.position.y + a.size.height;
    const pairs = users.flatMap((a, i) =>
      users
        .slice(i + 1)
        .filter((b) => overlap(a, b))
        .map((b) => `${a.id} ${b.id}`),
    );
    expect(pairs).toEqual([]);
  });
});

describe('trace emphasis', () => {
  const ruleset = parse(fixture('kube-cluster.rules'));
  const path = traced(ruleset, podToApi);
  const graph = buildGraph(ruleset, path);

  it('flags exactly the chains the packet walks through', () => {
    const onPath = graph.nodes.filter((n) => n.kind === 'chain' && n.onPath).map((n) => n.id);
    const walked = new Set(path.events.map((e) => chainNodeId(4, e.table, e.chain)));
    expect(new Set(onPath)).toEqual(walked);
    expect(onPath).toContain(nat('KUBE-SEP-NU3BPPQATML4BLHQ'));
  });

  it('flags the jumps it takes, and only those', () => {
    const onPath = graph.edges.filter((e) => e.onPath && e.kind === 'jump').map((e) => `${e.source}>${e.target}`);
    expect(onPath).toContain(`${nat('KUBE-SERVICES')}>${nat('KUBE-SVC-BEA4T34QEWGUELNC')}`);
    expect(onPath).toContain(`${nat('KUBE-SVC-BEA4T34QEWGUELNC')}>${nat('KUBE-SEP-NU3BPPQATML4BLHQ')}`);
    expect(onPath).not.toContain(`${nat('KUBE-SVC-BEA4T34QEWGUELNC')}>${nat('KUBE-SEP-PPCYIMU5OASZAM55')}`);
  });

  it('follows the forward route on the spine', () => {
    const spine = (id: string) => id.startsWith('h:') || id.startsWith('s:');
    const links = (onPath: boolean) =>
      graph.edges
        .filter((e) => e.kind === 'flow' && spine(e.source) && spine(e.target) && e.onPath === onPath)
        .map((e) => `${e.source}>${e.target}`);
    expect(links(true)).toEqual(
      expect.arrayContaining(['h:PREROUTING>s:routing', 's:routing>h:FORWARD', 'h:FORWARD>h:POSTROUTING']),
    );
    expect(links(false)).toEqual(expect.arrayContaining(['s:routing>h:INPUT', 'h:OUTPUT>h:POSTROUTING']));
    expect(node(graph, hookNodeId('INPUT')).onPath).toBe(false);
    expect(node(graph, 's:routing').onPath).toBe(true);
  });

  it('is the same graph every time for the same input', () => {
    expect(buildGraph(ruleset, path)).toEqual(graph);
  });

  it('maps every event to the node it happens in', () => {
    expect(graph.path).toHaveLength(path.events.length);
    expect(graph.path.slice(0, 5)).toEqual([
      chainNodeId(4, 'mangle', 'PREROUTING'),
      nat('PREROUTING'),
      nat('KUBE-SERVICES'),
      nat('KUBE-SVC-BEA4T34QEWGUELNC'),
      nat('KUBE-SEP-NU3BPPQATML4BLHQ'),
    ]);
  });

  it('takes the lo loop for a connection from the node to itself', () => {
    const local = traced(ruleset, {
      origin: 'local',
      proto: 'tcp',
      src: '192.168.0.2',
      sport: 40000,
      dst: '192.168.0.2',
      dport: 22,
    });
    expect(local.events.some((e) => e.leg === 1)).toBe(true);
    const g = buildGraph(ruleset, local, { layout: false });
    expect(g.edges.find((e) => e.kind === 'loopback')?.onPath).toBe(true);
    expect(node(g, 's:local').onPath).toBe(true);
  });
});

describe('on a budget', () => {
  const ruleset = parse(fixture('kube-cluster.rules'));
  const path = traced(ruleset, podToApi);
  const small = buildGraph(ruleset, path, { maxNodes: 45, neighboursPerChain: 1, layout: false });
  const sep = groupNodeId(4, 'nat', 'SEP');

  it('keeps the path and collapses families into group nodes', () => {
    expectWellFormed(small, 45);
    for (const id of small.path) expect(node(small, id).kind).toBe('chain');
    expect(node(small, sep).label).toMatch(/^KUBE-SEP ×\d+$/);
    const group = small.groups.find((g) => g.id === sep);
    expect(group).toMatchObject({ total: 15, expanded: false });
    expect(group?.shown).toBeLessThan(15);
  });

  it('sends jumps to hidden chains to their group', () => {
    expect(small.edges.some((e) => e.source === nat('KUBE-SVC-BEA4T34QEWGUELNC') && e.target === sep)).toBe(true);
  });

  it('reveals a folded chain by id (a search hit), and nothing else changes', () => {
    // A KUBE-SEP chain the small graph folds into its group.
    const target =
      ruleset.tables
        .find((t) => t.name === 'nat')
        ?.chains.map((c) => nat(c.name))
        .find((id) => id.includes('KUBE-SEP-') && !small.nodes.some((n) => n.id === id)) ?? '';
    expect(small.nodes.some((n) => n.id === target)).toBe(false);
    const revealed = buildGraph(ruleset, path, {
      maxNodes: 45,
      neighboursPerChain: 1,
      layout: false,
      reveal: [target, nat('KUBE-NO-SUCH-CHAIN'), 'g:4:nat:SEP'],
    });
    expectWellFormed(revealed, 45);
    expect(chain(revealed, target).kind).toBe('chain');
    for (const id of small.path) expect(revealed.path).toContain(id);
  });

  it('expands a group by id as far as the budget allows', () => {
    const expanded = buildGraph(ruleset, path, { maxNodes: 60, neighboursPerChain: 1, layout: false, expand: [sep] });
    expectWellFormed(expanded, 60);
    const before = small.groups.find((g) => g.id === sep)?.shown ?? 0;
    const after = expanded.groups.find((g) => g.id === sep);
    expect(after?.expanded).toBe(true);
    expect(after?.shown).toBeGreaterThan(before);
  });
});

describe('a 10k-Service dump', () => {
  it('stays under 1,000 nodes with the path and its neighbours, in seconds', () => {
    const worst = worstService({ services: 10000 });
    const ruleset = parse(generateKubeProxyDump({ services: 10000 }));
    const packet: Packet = {
      origin: 'pod',
      proto: worst.proto,
      src: '10.244.0.5',
      sport: 40000,
      dst: worst.ip,
      dport: worst.port,
    };
    const [path] = simulate(ruleset, nodeContext({ nodeIPs: [NODE_IP], podCIDR: POD_CIDR }), packet).paths;
    const started = performance.now();
    const graph = buildGraph(ruleset, path);
    const ms = performance.now() - started;
    expectWellFormed(graph);
    expect(graph.path).toContain(nat(worst.chain));
    expect(chain(graph, nat(worst.chain))).toMatchObject({ onPath: true, service: worst.name });
    const labels = graph.nodes.filter((n) => n.kind === 'group').map((n) => n.label);
    expect(labels).toEqual(expect.arrayContaining([expect.stringMatching(/^KUBE-SEP ×\d{2},\d{3}$/)]));
    expect(ms).toBeLessThan(10_000);
    console.info(
      `10k Services: ${graph.nodes.length} nodes, ${graph.edges.length} edges, built in ${Math.round(ms)} ms`,
    );
  }, 60_000);
});

describe('labels', () => {
  const comments: [string, string | undefined][] = [
    ['default/kubernetes:https cluster IP', 'default/kubernetes:https'],
    ['kube-system/kube-dns:dns -> 10.244.0.5:53', 'kube-system/kube-dns:dns'],
    ['masquerade traffic for games/quake external destinations', 'games/quake'],
    ['Balancing rule 0 for default/old-lb:http', 'default/old-lb:http'],
    ['kubernetes service nodeports; NOTE: this must be the last rule in this chain', undefined],
    ['allow 10.0.0.0/8', undefined],
  ];
  it.each(comments)('the Service in "%s" is %s', (comment, service) => {
    expect(servicePortName(comment)).toBe(service);
  });

  it.each([
    [7, '7'],
    [2311, '2,311'],
    [1234567, '1,234,567'],
  ])('%d is written %s', (n, text) => {
    expect(thousands(n)).toBe(text);
  });
});

describe('ipset badges', () => {
  it('mark the chains whose rules look up kube-proxy’s ipsets, with the rules’ positions', () => {
    const dump = parseNodeDump(readFileSync(join(fixtureDir, '../samples/ipvs-node.txt'), 'utf8'));
    const graph = buildGraph(dump.ruleset);
    const services = graph.nodes.find((n) => n.kind === 'chain' && n.table === 'nat' && n.chain === 'KUBE-SERVICES');
    if (services?.kind !== 'chain') throw new Error('no nat KUBE-SERVICES');
    const sets = services.badges.filter((b) => b.kind === 'ipset');
    expect(sets.find((b) => b.chain === 'KUBE-CLUSTER-IP')?.positions).toEqual([3, 5]);
    expect(sets.find((b) => b.chain === 'KUBE-LOAD-BALANCER')?.positions).toEqual([2, 6]);
  });
});
