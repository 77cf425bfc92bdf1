import { type NodeHandle, Position } from '@xyflow/react';
import type { GraphNode } from '../graph';

// Where things are on the canvas, in flow coordinates: one place for the canvas, its viewport and
// the packet token, so the token runs on the very curve React Flow draws.

/** React Flow's handle: 6 px square, centred on the node's border (`.react-flow__handle` in its style.css). */
const HANDLE = 6;

/** The centre of a node. */
export const centre = (n: GraphNode) => ({ x: n.position.x + n.size.width / 2, y: n.position.y + n.size.height / 2 });

/**
 * A chain's two handles, in (left) and out (right), exactly where React Flow's CSS puts them: given
 * up front, the edges are drawn in the first commit, and when React Flow measures the nodes it finds
 * them unchanged, so no edge is drawn twice.
 */
export function handlesOf(n: GraphNode): NodeHandle[] {
  const y = n.size.height / 2 - HANDLE / 2;
  const handle = { y, width: HANDLE, height: HANDLE };
  return [
    { ...handle, type: 'target', position: Position.Left, x: -HANDLE / 2 },
    { ...handle, type: 'source', position: Position.Right, x: n.size.width - HANDLE / 2 },
  ];
}

/** An edge's ends from `from`'s out handle to `to`'s in handle, as React Flow computes them (getHandlePosition). */
export function edgeEnds(from: GraphNode, to: GraphNode) {
  return {
    sourceX: from.position.x + from.size.width + HANDLE / 2,
    sourceY: from.position.y + from.size.height / 2,
    sourcePosition: Position.Right,
    targetX: to.position.x - HANDLE / 2,
    targetY: to.position.y + to.size.height / 2,
    targetPosition: Position.Left,
  };
}
