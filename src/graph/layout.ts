// Places user chains and group nodes with dagre, left to right by jump depth, below the spine.
// Base chains take part so that chains jumped to from PREROUTING rank before their callees,
// but keep their hand-placed spine positions. Runs in the worker (dagre is synchronous).
import dagre from '@dagrejs/dagre';
import type { GraphEdge, GraphNode } from './types';

export function layoutUserChains(
  placed: GraphNode[],
  spine: readonly GraphNode[],
  edges: readonly GraphEdge[],
  top: number,
): void {
  if (placed.length === 0) return;
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: 'LR', nodesep: 16, ranksep: 80, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set<string>();
  for (const node of placed) {
    g.setNode(node.id, { width: node.size.width, height: node.size.height });
    ids.add(node.id);
  }
  const spineChains = new Set(spine.filter((n) => n.kind === 'chain').map((n) => n.id));
  for (const edge of edges) {
    if (edge.kind !== 'jump' && edge.kind !== 'goto') continue;
    const from = ids.has(edge.source) || spineChains.has(edge.source);
    if (!from || !ids.has(edge.target)) continue;
    if (!ids.has(edge.source)) {
      // A base chain: a fixed-size anchor in rank 0, its position ignored afterwards.
      g.setNode(edge.source, { width: 1, height: 1 });
    }
    g.setEdge(edge.source, edge.target);
  }
  dagre.layout(g);
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  for (const node of placed) {
    const at = g.node(node.id);
    minX = Math.min(minX, at.x - node.size.width / 2);
    minY = Math.min(minY, at.y - node.size.height / 2);
  }
  // dagre gives centres; React Flow wants top-left corners.
  for (const node of placed) {
    const at = g.node(node.id);
    node.position = {
      x: Math.round(at.x - node.size.width / 2 - minX),
      y: Math.round(at.y - node.size.height / 2 - minY + top),
    };
  }
}
