import { getBezierPath, useReactFlow, ViewportPortal } from '@xyflow/react';
import { useEffect, useMemo } from 'react';
import type { Graph, GraphNode } from '../graph';
import { centre, edgeEnds } from './geometry';
import { useAppStore } from './store';

// The packet on the canvas: a token that travels from the previous step's node to the current
// one — along the jump's edge when there is one (the same bezier React Flow draws), else straight —
// in the time one step takes. With prefers-reduced-motion it jumps (index.css).

/** The token's route from `from` to `to`, in flow coordinates (an SVG path). */
export function hopPath(graph: Graph, from: GraphNode | undefined, to: GraphNode): string {
  const t = centre(to);
  if (!from || from === to) return `M ${t.x} ${t.y} L ${t.x} ${t.y}`;
  const edge = graph.edges.some((e) => e.source === from.id && e.target === to.id);
  if (!edge) {
    const f = centre(from);
    return `M ${f.x} ${f.y} L ${t.x} ${t.y}`;
  }
  const [d] = getBezierPath(edgeEnds(from, to));
  return d;
}

const reducedMotion = () => window.matchMedia('(prefers-reduced-motion: reduce)').matches;

export function PacketToken({ graph, follow }: { graph: Graph; follow: boolean }) {
  const step = useAppStore((s) => s.step);
  const speed = useAppStore((s) => s.speed);
  const byId = useMemo(() => new Map(graph.nodes.map((n) => [n.id, n])), [graph]);
  const at = Math.min(step, graph.path.length - 1);
  const to = byId.get(graph.path[at]);
  const flow = useReactFlow();
  // The camera follows the packet, close enough to read the chain it is in.
  useEffect(() => {
    if (!follow || !to) return;
    const { x, y } = centre(to);
    void flow.setCenter(x, y, { zoom: Math.max(flow.getZoom(), 0.9), duration: reducedMotion() ? 0 : speed / 2 });
  }, [follow, to, flow, speed]);
  if (!to) return null;
  const d = hopPath(graph, at > 0 ? byId.get(graph.path[at - 1]) : undefined, to);
  return (
    <ViewportPortal>
      <div
        // A new element per step restarts the animation.
        key={`${at}:${d}`}
        className="cw-token"
        data-testid="packet-token"
        data-step={at}
        aria-hidden="true"
        style={{ offsetPath: `path('${d}')`, animationDuration: `${Math.round(speed * 0.8)}ms` }}
      />
    </ViewportPortal>
  );
}
