import {
  Background,
  BaseEdge,
  Controls,
  type Edge,
  EdgeLabelRenderer,
  type EdgeProps,
  getBezierPath,
  Handle,
  MarkerType,
  MiniMap,
  type Node,
  Panel,
  Position,
  ReactFlow,
  useReactFlow,
  useStore,
} from '@xyflow/react';
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import type { Graph, GraphNode } from '../graph';
import { ExportPng } from './ExportPng';
import { centre, handlesOf } from './geometry';
import { PacketToken } from './PacketToken';
import { SearchBox } from './SearchBox';
import { afterNextPaint } from './schedule';
import { useAppStore } from './store';
import { useTheme } from './theme';

// The chain graph the worker built, drawn with React Flow. Positions come from the worker
// (the spine by hand, user chains laid out with dagre); the page only renders.

/** Colours per chain kind: the design tokens of the canvas. */
const KIND_CLASS: Record<string, string> = {
  hook: 'bg-slate-100/60 border-slate-300 dark:bg-slate-900/60 dark:border-slate-700',
  routing: 'bg-amber-50 border-amber-300 dark:bg-amber-950 dark:border-amber-700',
  local: 'bg-amber-50 border-amber-300 dark:bg-amber-950 dark:border-amber-700',
  ipvs: 'bg-teal-50 border-teal-500 dark:bg-teal-950 dark:border-teal-500',
  base: 'bg-white border-slate-400 dark:bg-slate-800 dark:border-slate-500',
  SERVICES: 'bg-sky-50 border-sky-400 dark:bg-sky-950 dark:border-sky-600',
  NODEPORTS: 'bg-sky-50 border-sky-400 dark:bg-sky-950 dark:border-sky-600',
  SVC: 'bg-violet-50 border-violet-400 dark:bg-violet-950 dark:border-violet-600',
  SVL: 'bg-violet-50 border-violet-400 dark:bg-violet-950 dark:border-violet-600',
  EXT: 'bg-fuchsia-50 border-fuchsia-400 dark:bg-fuchsia-950 dark:border-fuchsia-600',
  FW: 'bg-rose-50 border-rose-400 dark:bg-rose-950 dark:border-rose-600',
  XLB: 'bg-fuchsia-50 border-fuchsia-400 dark:bg-fuchsia-950 dark:border-fuchsia-600',
  SEP: 'bg-emerald-50 border-emerald-400 dark:bg-emerald-950 dark:border-emerald-600',
  other: 'bg-white border-slate-300 dark:bg-slate-800 dark:border-slate-600',
  group: 'bg-slate-50 border-dashed border-slate-400 dark:bg-slate-900 dark:border-slate-500',
};

function kindOf(n: GraphNode): string {
  if (n.kind === 'chain') return n.chainKind;
  return n.kind;
}

interface ChainData extends Record<string, unknown> {
  node: GraphNode;
  /** The packet is here at the current step. */
  current: boolean;
  /** A search jumped here. */
  focused?: boolean;
  /** A group node the user unfolded (it still holds what the budget left out). */
  expanded?: boolean;
}

const ChainView = memo(function ChainView({ data }: { data: ChainData }) {
  const n = data.node;
  const here = data.current;
  const dim = !n.onPath && n.kind !== 'hook';
  const detail =
    n.kind === 'chain'
      ? `${n.table} · ${n.counts.rules} rule${n.counts.rules === 1 ? '' : 's'}${n.policy ? ` · policy ${n.policy}` : ''}`
      : n.kind === 'group'
        ? `${n.counts.chains.toLocaleString('en')} chains · ${n.counts.rules.toLocaleString('en')} rules`
        : '';
  return (
    <div
      className={`h-full w-full overflow-hidden rounded-md border px-2 py-1 text-[11px] leading-tight ${KIND_CLASS[kindOf(n)] ?? KIND_CLASS.other} ${
        here
          ? 'ring-4 ring-sky-500'
          : data.focused
            ? 'ring-4 ring-fuchsia-500'
            : n.onPath && n.kind !== 'hook'
              ? 'ring-2 ring-amber-500'
              : ''
      } ${dim && !data.focused ? 'opacity-60' : ''} ${n.kind === 'group' ? 'cursor-pointer' : ''}`}
      data-current={here ? 'true' : undefined}
      data-focused={data.focused ? 'true' : undefined}
      title={n.kind === 'chain' && n.service ? `${n.chain}\n${n.service}` : n.label}
    >
      <Handle type="target" position={Position.Left} className="opacity-0" isConnectable={false} />
      <Handle type="source" position={Position.Right} className="opacity-0" isConnectable={false} />
      <div className="truncate font-mono font-semibold">{n.label}</div>
      {n.kind === 'chain' && n.service && (
        <div className="truncate text-slate-600 dark:text-slate-300">{n.service}</div>
      )}
      {detail && <div className="truncate text-slate-500 dark:text-slate-400">{detail}</div>}
      {n.kind === 'group' && (
        <div className="truncate text-sky-700 dark:text-sky-300">
          {data.expanded ? 'unfolded as far as the budget allows · click to fold' : 'click to unfold'}
        </div>
      )}
      {n.kind === 'chain' && n.badges.length > 0 && (
        <div className="mt-0.5 flex flex-wrap gap-1">
          {n.badges.map((b) => (
            <span
              key={`${b.kind ?? 'jump'}:${b.chain}`}
              data-badge={b.kind ?? 'jump'}
              title={b.kind === 'ipset' ? `rules ${b.positions.join(', ')} look up ipset ${b.chain}` : undefined}
              className={`rounded px-1 text-[10px] ${
                b.kind === 'ipset'
                  ? 'bg-teal-100 text-teal-900 dark:bg-teal-900 dark:text-teal-100'
                  : 'bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100'
              }`}
            >
              {b.kind === 'ipset' ? '∈ ' : ''}
              {b.chain.replace(/^KUBE-/, '')} #{b.positions.join(',')}
            </span>
          ))}
        </div>
      )}
    </div>
  );
});

const nodeTypes = { chain: ChainView };

type ChainEdgeData = Edge<{ label?: string }>;

/**
 * An edge with its label ("×3", "goto") in HTML. React Flow's own edge label measures its SVG text
 * with getBBox after mounting, a forced layout that was a third of a big dump's first draw.
 */
const ChainEdge = memo(function ChainEdge(props: EdgeProps<ChainEdgeData>) {
  const [path, labelX, labelY] = getBezierPath(props);
  const label = props.data?.label;
  return (
    <>
      <BaseEdge id={props.id} path={path} markerEnd={props.markerEnd} style={props.style} />
      {label && (
        <EdgeLabelRenderer>
          <div
            className="pointer-events-none absolute rounded bg-white px-1 text-[10px] text-slate-700 dark:bg-slate-900 dark:text-slate-200"
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            data-edge-label={props.id}
          >
            {label}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
});

const edgeTypes = { chain: ChainEdge };

export function toFlow(graph: Graph, current: string | null): { nodes: Node<ChainData>[]; edges: ChainEdgeData[] } {
  const expanded = new Set(graph.groups.filter((g) => g.expanded).map((g) => g.id));
  const nodes: Node<ChainData>[] = graph.nodes.map((n) => ({
    id: n.id,
    type: 'chain',
    position: n.position,
    width: n.size.width,
    height: n.size.height,
    // Sizes and handles known up front (geometry.ts).
    measured: n.size,
    handles: handlesOf(n),
    data: { node: n, current: n.id === current, expanded: expanded.has(n.id) },
    draggable: false,
    connectable: false,
    zIndex: n.kind === 'hook' ? 0 : 1,
  }));
  const edges: ChainEdgeData[] = graph.edges.map((e) => ({
    id: e.id,
    type: 'chain',
    source: e.source,
    target: e.target,
    // The route is marked by colour and width, not animated: a dash animation repaints the canvas
    // every frame, for as long as the page is open. The packet token is what moves.
    className: e.onPath ? 'cw-route' : undefined,
    data: { label: e.count > 1 ? `×${e.count}` : e.kind === 'goto' ? 'goto' : undefined },
    markerEnd: { type: MarkerType.ArrowClosed },
    style: e.onPath ? { stroke: '#f59e0b', strokeWidth: 2.5 } : { opacity: 0.45 },
    zIndex: e.onPath ? 2 : 1,
  }));
  return { nodes, edges };
}

/** Above this many nodes the canvas opens on the netfilter spine and follows the packet, instead of fitting everything. */
const FOCUS_NODES = 150;

/**
 * Frames a new dump's graph: the whole of a small one; for a big one the spine, where every walk
 * starts (a family's column can be tens of thousands of pixels tall). On a big graph it then keeps
 * the packet's current node in view as it steps, so only the nodes around it are mounted; and it
 * jumps to the node a search picked.
 */
function Viewport({ graph, current, focus }: { graph: Graph; current: string | null; focus: string | null }) {
  const { fitView, getViewport, setCenter } = useReactFlow();
  const width = useStore((s) => s.width);
  const height = useStore((s) => s.height);
  const big = graph.nodes.length > FOCUS_NODES;
  // Unfolding a group or revealing a search hit redraws the same dump: the view stays.
  const framing = `${graph.totalChains}|${graph.path.join(' ')}`;
  const framed = useRef<string | null>(null);
  const centred = useRef<string | null>(null);
  // One effect decides, so a frame of the spine never lands after (and undoes) a jump to a search hit.
  useEffect(() => {
    const target = focus ? graph.nodes.find((n) => n.id === focus) : undefined;
    if (!focus) centred.current = null;
    let move: (() => void) | null = null;
    // Keyed by position too: a redraw (a group unfolded) may move the node, and the view follows it.
    const where = target && `${focus}@${target.position.x},${target.position.y}`;
    if (target && centred.current !== where) {
      const at = centre(target);
      move = () => {
        centred.current = where ?? null;
        framed.current = framing;
        void setCenter(at.x, at.y, { zoom: Math.max(getViewport().zoom, 0.8) });
      };
    } else if (framed.current !== framing) {
      const spine = big ? graph.nodes.filter((n) => n.kind !== 'chain' && n.kind !== 'group') : [];
      move = () => {
        framed.current = framing;
        void fitView(spine.length > 0 ? { nodes: spine.map((n) => ({ id: n.id })), padding: 0.1 } : undefined);
      };
    }
    if (!move) return;
    const frame = requestAnimationFrame(move);
    return () => cancelAnimationFrame(frame);
  }, [graph, framing, focus, big, fitView, getViewport, setCenter]);
  const followed = useRef<string | null>(null);
  useEffect(() => {
    // Only when the packet moves: a redraw (a search hit revealed) must not pull the view back to it.
    if (!big || !current || followed.current === current) return;
    followed.current = current;
    const node = graph.nodes.find((n) => n.id === current);
    if (!node) return;
    const { x, y, zoom } = getViewport();
    const at = centre(node);
    const sx = at.x * zoom + x;
    const sy = at.y * zoom + y;
    if (sx > 0 && sy > 0 && sx < width && sy < height) return;
    void setCenter(at.x, at.y, { zoom: Math.max(zoom, 0.6) });
  }, [graph, big, current, width, height, getViewport, setCenter]);
  return null;
}

/** A new dump's graph mounts at most this many nodes a frame, its spine and route first. */
const NODES_PER_FRAME = 20;

/**
 * The graph to draw while a new dump's graph mounts, a few nodes a frame: mounting costs React Flow
 * per node (the commit, style and layout, and its ResizeObserver pass over the new nodes, which
 * redraws the rest). A redraw of the same dump (a group unfolded, a search hit revealed) keeps its
 * nodes, so it is drawn at once.
 */
function useStaged(graph: Graph | null): Graph | null {
  const [shown, setShown] = useState<{ graph: Graph | null; count: number }>({ graph: null, count: 0 });
  const drawn = useRef<number | null>(null);
  const { order, early } = useMemo(() => {
    if (!graph) return { order: [], early: 0 };
    const first = (n: GraphNode) => n.onPath || (n.kind !== 'chain' && n.kind !== 'group');
    const head = graph.nodes.filter(first);
    return { order: [...head, ...graph.nodes.filter((n) => !first(n))], early: head.length };
  }, [graph]);
  const fresh = graph !== null && drawn.current !== graph.totalChains;
  const firstBatch = Math.max(NODES_PER_FRAME, early);
  const count = !fresh ? order.length : shown.graph === graph ? shown.count : firstBatch;
  const done = count >= order.length;
  useEffect(() => {
    if (!graph) return;
    if (done) {
      drawn.current = graph.totalChains;
      return;
    }
    return afterNextPaint(() => setShown({ graph, count: count + NODES_PER_FRAME }));
  }, [graph, count, done]);
  return useMemo(() => {
    if (!graph || done) return graph;
    const ids = new Set(order.slice(0, count).map((n) => n.id));
    return {
      ...graph,
      nodes: graph.nodes.filter((n) => ids.has(n.id)),
      edges: graph.edges.filter((e) => ids.has(e.source) && ids.has(e.target)),
    };
  }, [graph, count, done, order]);
}

export function Canvas() {
  const graph = useStaged(useAppStore((s) => s.graph));
  const step = useAppStore((s) => s.step);
  const current = graph?.path[step] || null;
  const focus = useAppStore((s) => s.focus);
  const toggleGroup = useAppStore((s) => s.toggleGroup);
  const setFocus = useAppStore((s) => s.setFocus);
  const colorMode = useTheme((s) => s.theme);
  const [follow, setFollow] = useState(false);
  const base = useMemo(() => (graph ? toFlow(graph, null) : null), [graph]);
  // Only the node the packet is in changes from step to step: every other node keeps its object,
  // so React Flow re-renders two nodes, not a thousand.
  const flow = useMemo(() => {
    if (!base || (!current && !focus)) return base;
    const nodes = base.nodes.map((n) =>
      n.id === current || n.id === focus
        ? { ...n, data: { ...n.data, current: n.id === current, focused: n.id === focus } }
        : n,
    );
    return { nodes, edges: base.edges };
  }, [base, current, focus]);
  if (!flow || !graph) {
    return (
      <div className="flex h-full items-center justify-center text-sm text-slate-500" data-testid="canvas-empty">
        Building the chain graph…
      </div>
    );
  }
  return (
    <div className="h-full w-full" data-testid="canvas">
      <ReactFlow
        nodes={flow.nodes}
        edges={flow.edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        colorMode={colorMode}
        onlyRenderVisibleElements
        onNodeClick={(_, node) => {
          if (node.data.node.kind !== 'group') return;
          // The group stays in view while it unfolds (the layout moves it).
          setFocus(node.id);
          toggleGroup(node.id);
        }}
        minZoom={0.05}
        nodesDraggable={false}
        nodesConnectable={false}
        proOptions={{ hideAttribution: true }}
      >
        <Viewport graph={graph} current={current} focus={focus} />
        <Panel position="top-left">
          <SearchBox graph={graph} />
        </Panel>
        <PacketToken graph={graph} follow={follow} />
        {/* Above the minimap, clear of the search box. */}
        <Panel position="bottom-right" className="flex items-center gap-2" style={{ marginBottom: 104 }}>
          <label className="flex items-center gap-1 rounded bg-white/90 px-2 py-1 text-xs shadow dark:bg-slate-900/90">
            <input type="checkbox" checked={follow} onChange={(event) => setFollow(event.target.checked)} />
            follow the packet
          </label>
          <ExportPng graph={graph} />
        </Panel>
        <Background />
        <MiniMap pannable zoomable style={{ width: 140, height: 90 }} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
