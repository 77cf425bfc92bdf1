// Ruleset (+ one trace path) → the chain graph: the hand-placed netfilter spine with its base
// chains, user chains hung off it by their jumps and gotos, big families collapsed into groups.
// Structure comes from RuleStore.jumpChain/isGoto, so no rule is decoded except for labels.
import type { Family, HookName, Ruleset, TableName, TracePath } from '../model';
import { getRule } from '../parse';
import {
  chainKind,
  GROUP_KINDS,
  groupKind,
  groupLabel,
  isFamilyKind,
  isUtilityChainName,
  servicePortName,
} from './chain-kind';
import { layoutUserChains } from './layout';
import {
  BASE_CHAIN,
  baseChainPosition,
  HOOK_TABLES,
  HOOKS,
  hookSize,
  SPINE_LINKS,
  SPINE_POSITIONS,
  STAGE,
} from './spine';
import { ipvsLabel, pathSteps } from './steps';
import type {
  Badge,
  ChainKind,
  ChainNode,
  Graph,
  GraphEdge,
  GraphGroup,
  GraphNode,
  GraphOptions,
  GroupKind,
  GroupNode,
  Size,
} from './types';

export const CHAIN_SIZE: Size = { width: 220, height: 56 };
const MAX_EDGE_RULE_IDS = 8;
/** Rules read per chain to find a Service name in their comments. */
const LABEL_RULES = 4;

export const chainNodeId = (family: Family, table: TableName, chain: string) => `c:${family}:${table}:${chain}`;
export const groupNodeId = (family: Family, table: TableName, kind: GroupKind) => `g:${family}:${table}:${kind}`;
export const hookNodeId = (hook: HookName) => `h:${hook}`;
/** kube-proxy IPVS mode's stage, between INPUT and OUTPUT, shown when a path went through IPVS. */
export const IPVS_NODE = 's:ipvs';
const IPVS_POSITION = { x: 780, y: 200 };
const stageNodeId = (stage: string) =>
  stage === 'routing' || stage === 'local' ? `s:${stage}` : hookNodeId(stage as HookName);

/** 2311 → `2,311`, without depending on the runtime's locale data. */
export function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Every chain of the ruleset under one global number: tables' chains laid end to end. */
interface ChainIndex {
  count: number;
  offsets: number[];
  table: Int32Array;
  chain: Int32Array;
  kind: ChainKind[];
  utility: Uint8Array;
  /** The family group a KUBE-SVC-/SEP-/… chain belongs to (an index into groupIds), else −1. */
  group: Int32Array;
  groupIds: string[];
}

function indexChains(ruleset: Ruleset): ChainIndex {
  const offsets: number[] = [];
  let count = 0;
  for (const table of ruleset.tables) {
    offsets.push(count);
    count += table.chains.length;
  }
  const index: ChainIndex = {
    count,
    offsets,
    table: new Int32Array(count),
    chain: new Int32Array(count),
    kind: new Array(count),
    utility: new Uint8Array(count),
    group: new Int32Array(count).fill(-1),
    groupIds: [],
  };
  const groupNumbers = new Map<number, number>();
  ruleset.tables.forEach((table, t) => {
    table.chains.forEach((chain, c) => {
      const g = offsets[t] + c;
      index.table[g] = t;
      index.chain[g] = c;
      index.kind[g] = chainKind(chain.name, chain.builtin);
      index.utility[g] = !chain.builtin && isUtilityChainName(chain.name) ? 1 : 0;
      const kind = groupKind(index.kind[g]);
      if (kind) {
        const key = t * 16 + GROUP_KINDS.indexOf(kind);
        let n = groupNumbers.get(key);
        if (n === undefined) {
          n = index.groupIds.push(groupNodeId(table.family, table.name, kind)) - 1;
          groupNumbers.set(key, n);
        }
        index.group[g] = n;
      }
    });
  });
  return index;
}

/** What the trace touched: chains (global numbers), jump edges (rule ids), hooks and spine links. */
interface PathMarks {
  chains: Set<number>;
  /** Global chain per event (−1 when the event's chain is not in the ruleset). */
  eventChains: number[];
  jumpRules: Set<number>;
  hooks: Set<HookName>;
  links: Set<string>;
  stages: Set<string>;
  loopback: boolean;
}

function markPath(ruleset: Ruleset, index: ChainIndex, trace: TracePath | undefined): PathMarks {
  const marks: PathMarks = {
    chains: new Set(),
    eventChains: [],
    jumpRules: new Set(),
    hooks: new Set(),
    links: new Set(),
    stages: new Set(),
    loopback: false,
  };
  if (!trace) return marks;
  const { rules } = ruleset;
  // Policy and return events carry no rule id: their table is the one of the path's family.
  const firstRule = trace.events.find((e) => e.ruleId !== null)?.ruleId;
  const family: Family = firstRule != null ? ruleset.tables[rules.table[firstRule]].family : 4;
  const hooksByLeg = new Map<number, Set<HookName>>();
  for (const event of trace.events) {
    let t = event.ruleId !== null ? rules.table[event.ruleId] : -1;
    if (t < 0) t = ruleset.tables.findIndex((table) => table.family === family && table.name === event.table);
    const c = t >= 0 ? ruleset.tables[t].chainIndex.get(event.chain) : undefined;
    const g = c === undefined ? -1 : index.offsets[t] + c;
    marks.eventChains.push(g);
    if (g >= 0) marks.chains.add(g);
    if (event.ruleId !== null && rules.jumpChain[event.ruleId] >= 0 && /^(JUMP|GOTO):/.test(event.verdict))
      marks.jumpRules.add(event.ruleId);
    marks.hooks.add(event.hook);
    if (event.leg > 0) marks.loopback = true;
    const legHooks = hooksByLeg.get(event.leg) ?? new Set<HookName>();
    legHooks.add(event.hook);
    hooksByLeg.set(event.leg, legHooks);
  }
  const lastLeg = Math.max(0, ...hooksByLeg.keys());
  for (const [leg, hooks] of hooksByLeg) {
    const has = (hook: HookName) => hooks.has(hook);
    const route = (from: string, to: string) => {
      marks.links.add(`${from}>${to}`);
      marks.stages.add(from).add(to);
    };
    for (const next of ['INPUT', 'FORWARD'] as const) {
      if (has('PREROUTING') && has(next)) {
        route('PREROUTING', 'routing');
        route('routing', next);
      }
    }
    if (has('FORWARD') && has('POSTROUTING')) route('FORWARD', 'POSTROUTING');
    if (has('OUTPUT')) route('local', 'OUTPUT');
    if (has('OUTPUT') && has('POSTROUTING')) route('OUTPUT', 'POSTROUTING');
    if (has('INPUT') && leg === lastLeg && trace.final.disposition === 'local') route('INPUT', 'local');
  }
  return marks;
}

/** Which chains are drawn as chains; the rest of each family folds into its group node. */
function chooseVisible(
  ruleset: Ruleset,
  index: ChainIndex,
  marks: PathMarks,
  budget: number,
  expand: ReadonlySet<string>,
  neighboursPerChain: number,
  reveal: readonly number[],
): Uint8Array {
  const visible = new Uint8Array(index.count);
  let left = budget;
  const show = (g: number) => {
    if (visible[g] || left <= 0) return;
    visible[g] = 1;
    left--;
  };
  const userChains: number[] = [];
  for (let g = 0; g < index.count; g++) {
    if (index.kind[g] === 'base') visible[g] = 1;
    else userChains.push(g);
  }
  if (userChains.length <= budget) {
    for (const g of userChains) visible[g] = 1;
    return visible;
  }
  for (const g of marks.chains) show(g);
  for (const g of reveal) show(g);
  for (const g of userChains) if (!isFamilyKind(index.kind[g])) show(g);
  const groupOf = (g: number) => index.groupIds[index.group[g]];
  if (expand.size > 0) for (const g of userChains) if (expand.has(groupOf(g))) show(g);
  // Neighbours of the path: what the path's chains jump to, and who jumps to them.
  if (marks.chains.size > 0) {
    const onPath = new Uint8Array(index.count);
    for (const g of marks.chains) onPath[g] = 1;
    const taken = new Map<number, number>();
    const take = (from: number, to: number) => {
      const n = taken.get(from) ?? 0;
      if (n >= neighboursPerChain || visible[to]) return;
      taken.set(from, n + 1);
      show(to);
    };
    const { rules } = ruleset;
    for (let r = 0; r < rules.count && left > 0; r++) {
      const jc = rules.jumpChain[r];
      if (jc < 0) continue;
      const base = index.offsets[rules.table[r]];
      const src = base + rules.chain[r];
      const dst = base + jc;
      if (onPath[src]) take(src, dst);
      else if (onPath[dst]) take(dst, src);
    }
  }
  // Families small enough to show whole rather than as "KUBE-FW ×3".
  const hidden: number[][] = index.groupIds.map(() => []);
  for (const g of userChains) if (!visible[g]) hidden[index.group[g]].push(g);
  for (const members of hidden.sort((a, b) => a.length - b.length)) {
    if (members.length > left) break;
    for (const g of members) show(g);
  }
  return visible;
}

/** The global chain numbers of chain node ids (unknown ids are left out). */
function chainsOf(ruleset: Ruleset, index: ChainIndex, ids: readonly string[]): number[] {
  const out: number[] = [];
  for (const id of ids) {
    const [c, family, table, ...name] = id.split(':');
    if (c !== 'c') continue;
    ruleset.tables.forEach((t, k) => {
      const at = String(t.family) === family && t.name === table ? t.chainIndex.get(name.join(':')) : undefined;
      if (at !== undefined) out.push(index.offsets[k] + at);
    });
  }
  return out;
}

export function buildGraph(ruleset: Ruleset, trace?: TracePath, options: GraphOptions = {}): Graph {
  const maxNodes = options.maxNodes ?? 1000;
  const index = indexChains(ruleset);
  const marks = markPath(ruleset, index, trace);
  const { rules, tables } = ruleset;
  const twoFamilies = new Set(tables.map((t) => t.family)).size > 1;

  const nodes: GraphNode[] = [];
  const edges = new Map<string, GraphEdge>();
  const addEdge = (source: string, target: string, kind: GraphEdge['kind'], ruleId: number, onPath: boolean) => {
    const id = `${kind}:${source}>${target}`;
    const edge = edges.get(id);
    if (edge) {
      edge.count++;
      if (ruleId >= 0 && edge.ruleIds.length < MAX_EDGE_RULE_IDS) edge.ruleIds.push(ruleId);
      edge.onPath ||= onPath;
    } else edges.set(id, { id, source, target, kind, count: 1, ruleIds: ruleId >= 0 ? [ruleId] : [], onPath });
  };

  // ---- The spine: hooks with their base chains, the routing decision, the local process. ----
  const chainIds: (string | undefined)[] = new Array(index.count);
  const jumpsIn = new Int32Array(index.count);
  const jumpsOut = new Int32Array(index.count);
  for (let r = 0; r < rules.count; r++) {
    const jc = rules.jumpChain[r];
    if (jc < 0) continue;
    const base = index.offsets[rules.table[r]];
    jumpsOut[base + rules.chain[r]]++;
    jumpsIn[base + jc]++;
  }
  const chainNode = (g: number): ChainNode => {
    const table = tables[index.table[g]];
    const chain = table.chains[index.chain[g]];
    let service: string | undefined;
    // Only kube-proxy's per-Service chains belong to one Service; KUBE-SERVICES names thousands.
    if (isFamilyKind(index.kind[g])) {
      for (let k = 0; k < chain.rules.length && k < LABEL_RULES && !service; k++)
        service = servicePortName(getRule(ruleset, chain.rules[k]).comment);
    }
    const id = chainNodeId(table.family, table.name, chain.name);
    chainIds[g] = id;
    return {
      id,
      kind: 'chain',
      label: chain.name,
      position: { x: 0, y: 0 },
      size: CHAIN_SIZE,
      onPath: marks.chains.has(g),
      chainKind: index.kind[g],
      family: table.family,
      table: table.name,
      chain: chain.name,
      ...(service ? { service } : {}),
      ...(chain.builtin ? { policy: chain.policy } : {}),
      counts: { rules: chain.rules.length, jumpsIn: jumpsIn[g], jumpsOut: jumpsOut[g] },
      badges: [],
      utility: index.utility[g] === 1,
    };
  };

  let spineBottom = 0;
  for (const hook of HOOKS) {
    const at = SPINE_POSITIONS[hook];
    const baseChains: number[] = [];
    for (const tableName of HOOK_TABLES[hook]) {
      tables.forEach((table, t) => {
        const c = table.name === tableName ? table.chainIndex.get(hook) : undefined;
        if (c !== undefined) baseChains.push(index.offsets[t] + c);
      });
    }
    const size = hookSize(baseChains.length);
    const hookId = hookNodeId(hook);
    nodes.push({ id: hookId, kind: 'hook', hook, label: hook, position: at, size, onPath: marks.hooks.has(hook) });
    spineBottom = Math.max(spineBottom, at.y + size.height);
    baseChains.forEach((g, k) => {
      const node = chainNode(g);
      node.label = twoFamilies ? `${node.table} v${node.family}` : node.table;
      node.parent = hookId;
      node.position = baseChainPosition(at, k);
      node.size = BASE_CHAIN;
      nodes.push(node);
      if (k > 0) addEdge(chainIds[baseChains[k - 1]] as string, node.id, 'flow', -1, node.onPath);
    });
  }
  for (const stage of ['routing', 'local'] as const) {
    nodes.push({
      id: stageNodeId(stage),
      kind: stage,
      label: stage === 'routing' ? 'routing decision' : 'local process',
      position: SPINE_POSITIONS[stage],
      size: STAGE,
      onPath: marks.stages.has(stage),
    });
  }
  for (const [from, to] of SPINE_LINKS)
    addEdge(stageNodeId(from), stageNodeId(to), 'flow', -1, marks.links.has(`${from}>${to}`));
  // kube-proxy IPVS mode: IPVS schedules at LOCAL_IN (after filter INPUT) and LOCAL_OUT, and sends
  // what it rewrote on through LOCAL_OUT and POSTROUTING (net/netfilter/ipvs/ip_vs_core.c, ip_vs_xmit.c).
  if (trace?.ipvs?.length) {
    const hooks = new Set(trace.ipvs.map((e) => e.hook));
    nodes.push({
      id: IPVS_NODE,
      kind: 'ipvs',
      label: ipvsLabel(trace),
      position: IPVS_POSITION,
      size: { width: 2 * STAGE.width, height: STAGE.height },
      onPath: true,
    });
    if (hooks.has('INPUT')) addEdge(hookNodeId('INPUT'), IPVS_NODE, 'flow', -1, true);
    if (hooks.has('OUTPUT')) addEdge(hookNodeId('OUTPUT'), IPVS_NODE, 'flow', -1, true);
    addEdge(IPVS_NODE, hookNodeId('POSTROUTING'), 'flow', -1, trace.final.disposition === 'out');
  }
  addEdge(hookNodeId('POSTROUTING'), hookNodeId('PREROUTING'), 'loopback', -1, marks.loopback);
  const spineNodes = nodes.length;

  // ---- User chains: as many as the budget allows, the rest in group nodes. ----
  const familyTotals = index.groupIds.map(() => 0);
  for (let g = 0; g < index.count; g++) if (index.group[g] >= 0) familyTotals[index.group[g]]++;
  const budget = Math.max(0, maxNodes - spineNodes - index.groupIds.length);
  const visible = chooseVisible(
    ruleset,
    index,
    marks,
    budget,
    new Set(options.expand ?? []),
    options.neighboursPerChain ?? 8,
    chainsOf(ruleset, index, options.reveal ?? []),
  );

  const userNodes: ChainNode[] = [];
  for (let g = 0; g < index.count; g++) {
    if (visible[g] && index.kind[g] !== 'base') userNodes.push(chainNode(g));
  }
  const nodeOf = (g: number): string => chainIds[g] ?? index.groupIds[index.group[g]];
  const hiddenChains = index.groupIds.map(() => 0);
  const hiddenRules = index.groupIds.map(() => 0);
  for (let g = 0; g < index.count; g++) {
    if (visible[g]) continue;
    hiddenChains[index.group[g]]++;
    hiddenRules[index.group[g]] += tables[index.table[g]].chains[index.chain[g]].rules.length;
  }
  const groupNodes: GroupNode[] = [];
  index.groupIds.forEach((id, n) => {
    if (hiddenChains[n] === 0) return;
    const [, family, table, kind] = id.split(':') as [string, string, TableName, GroupKind];
    groupNodes.push({
      id,
      kind: 'group',
      label: `${groupLabel(kind)} ×${thousands(hiddenChains[n])}`,
      position: { x: 0, y: 0 },
      size: CHAIN_SIZE,
      onPath: false,
      family: Number(family) as Family,
      table,
      chainKind: kind,
      counts: { chains: hiddenChains[n], rules: hiddenRules[n] },
    });
  });

  // ---- Jumps and gotos: edges between shown nodes; utility chains become badges. ----
  const badges = new Map<string, Map<string, number[]>>();
  const jumps = new Map<number, GraphEdge>();
  const slots = index.count + index.groupIds.length;
  for (let r = 0; r < rules.count; r++) {
    const jc = rules.jumpChain[r];
    if (jc < 0) continue;
    const base = index.offsets[rules.table[r]];
    const src = base + rules.chain[r];
    const dst = base + jc;
    const onPath = marks.jumpRules.has(r);
    if (index.utility[dst] && !onPath) {
      const id = chainIds[src];
      if (!id) continue;
      const byChain = badges.get(id) ?? new Map<string, number[]>();
      const name = tables[rules.table[r]].chains[jc].name;
      const ruleIds = byChain.get(name);
      if (ruleIds) ruleIds.push(r);
      else byChain.set(name, [r]);
      badges.set(id, byChain);
      continue;
    }
    // Numbered, not named: a 10k-Service dump has ~200k jumps, nearly all between two groups.
    const from = visible[src] ? src : index.count + index.group[src];
    const to = visible[dst] ? dst : index.count + index.group[dst];
    if (from === to && !visible[src]) continue;
    const key = (from * slots + to) * 2 + rules.isGoto[r];
    const edge = jumps.get(key);
    if (edge) {
      edge.count++;
      if (edge.ruleIds.length < MAX_EDGE_RULE_IDS) edge.ruleIds.push(r);
      edge.onPath ||= onPath;
    } else {
      const kind = rules.isGoto[r] ? 'goto' : 'jump';
      const source = nodeOf(src);
      const target = nodeOf(dst);
      jumps.set(key, { id: `${kind}:${source}>${target}`, source, target, kind, count: 1, ruleIds: [r], onPath });
    }
  }
  for (const node of [...nodes, ...userNodes]) {
    if (node.kind !== 'chain') continue;
    const byChain = badges.get(node.id);
    if (!byChain) continue;
    node.badges = [...byChain].map(
      ([chain, ruleIds]): Badge => ({ chain, ruleIds, positions: ruleIds.map((r) => rules.position[r]) }),
    );
  }
  // ipset lookups (kube-proxy IPVS mode) as badges on the chains whose rules make them.
  if (ruleset.text.includes('--match-set')) {
    const chainRules = new Map<string, number[]>();
    for (let r = 0; r < rules.count; r++) {
      const id = chainIds[index.offsets[rules.table[r]] + rules.chain[r]];
      if (!id) continue;
      const list = chainRules.get(id);
      if (list) list.push(r);
      else chainRules.set(id, [r]);
    }
    for (const node of [...nodes, ...userNodes]) {
      if (node.kind !== 'chain') continue;
      const sets = new Map<string, number[]>();
      for (const r of chainRules.get(node.id) ?? []) {
        for (const m of getRule(ruleset, r).matches) {
          if (m.kind !== 'set') continue;
          const ids = sets.get(m.name);
          if (ids) ids.push(r);
          else sets.set(m.name, [r]);
        }
      }
      for (const [chain, ruleIds] of sets)
        node.badges.push({ chain, kind: 'ipset', ruleIds, positions: ruleIds.map((r) => rules.position[r]) });
    }
  }

  const edgeList = [...edges.values(), ...jumps.values()];
  const placed = [...userNodes, ...groupNodes];
  if (options.layout !== false) layoutUserChains(placed, nodes, edgeList, spineBottom + 120);
  else {
    placed.forEach((node, k) => {
      node.position = { x: (k % 8) * 260, y: spineBottom + 120 + Math.floor(k / 8) * 90 };
    });
  }

  const groups: GraphGroup[] = [];
  index.groupIds.forEach((id, n) => {
    const [, family, table, kind] = id.split(':') as [string, string, TableName, GroupKind];
    groups.push({
      id,
      family: Number(family) as Family,
      table,
      chainKind: kind,
      label: groupLabel(kind),
      total: familyTotals[n],
      shown: familyTotals[n] - hiddenChains[n],
      expanded: options.expand?.includes(id) ?? false,
    });
  });

  const eventNodes = marks.eventChains.map((g) => (g >= 0 ? nodeOf(g) : ''));
  return {
    nodes: [...nodes, ...placed],
    edges: edgeList,
    groups,
    path: trace?.ipvs?.length
      ? pathSteps(trace).map((step, i, all) =>
          step.kind === 'ipvs' ? IPVS_NODE : eventNodes[i - all.slice(0, i).filter((x) => x.kind === 'ipvs').length],
        )
      : eventNodes,
    totalChains: index.count,
  };
}
