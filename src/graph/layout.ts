// Places user chains and group nodes with dagre, left to right by jump depth, below the spine.
// Jumps never leave a table, so each table is laid out on its own and the tables are stacked:
// smaller graphs for dagre (its ordering pass grows faster than the graph) and one band per table.
// Base chains take part so that chains jumped to from PREROUTING rank before their callees, but
// keep their hand-placed spine positions. Runs in the worker (dagre is synchronous).
import dagre from '@dagrejs/dagre';
import type { ChainNode, GraphEdge, GraphNode, GroupNode } from './types';

/** Space between two tables' bands. */
const BAND_GAP = 120;

export function layoutUserChains(
  placed: (ChainNode | GroupNode)[],
  spine: readonly GraphNode[],
  edges: readonly GraphEdge[],
  top: number,
): void {
  const bands = new Map<string, (ChainNode | GroupNode)[]>();
  for (const node of placed) {
    const key = `${node.family}:${node.table}`;
    const band = bands.get(key) ?? [];
    band.push(node);
    bands.set(key, band);
  }
  const spineChains = new Set(spine.filter((n) => n.kind === 'chain').map((n) => n.id));
  let y = top;
  for (const band of bands.values()) y = layoutBand(band, spineChains, edges, y) + BAND_GAP;
}

/** Lays one table's nodes out from `top`; returns the band's bottom. */
function layoutBand(
  band: readonly GraphNode[],
  spineChains: ReadonlySet<string>,
  edges: readonly GraphEdge[],
  top: number,
): number {
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: 'LR', nodesep: 16, ranksep: 80, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set<string>();
  for (const node of band) {
    g.setNode(node.id, { width: node.size.width, height: node.size.height });
    ids.add(node.id);
  }
  for (const edge of edges) {
    if (edge.kind !== 'jump' && edge.kind !== 'goto') continue;
    if (!ids.has(edge.target) || !(ids.has(edge.source) || spineChains.has(edge.source))) continue;
    // A base chain: a point-sized anchor in rank 0, its position ignored afterwards.
    if (!ids.has(edge.source)) g.setNode(edge.source, { width: 1, height: 1 });
    g.setEdge(edge.source, edge.target);
  }
  dagre.layout(g);
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  for (const node of band) {
    const at = g.node(node.id);
    minX = Math.min(minX, at.x - node.size.width / 2);
    minY = Math.min(minY, at.y - node.size.height / 2);
  }
  // dagre gives centres; a canvas wants top-left corners.
  let bottom = top;
  for (const node of band) {
    const at = g.node(node.id);
    node.position = {
      x: Math.round(at.x - node.size.width / 2 - minX),
      y: Math.round(at.y - node.size.height / 2 - minY + top),
    };
    bottom = Math.max(bottom, node.position.y + node.size.height);
  }
  return bottom;
}
