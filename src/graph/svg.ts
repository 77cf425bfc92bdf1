import type { Graph, GraphNode } from './types';

// The chain graph as a standalone SVG document, for "Export PNG" (the page rasterises it) and for
// anyone who wants a vector: drawn from the graph data itself, so it is fast, needs no DOM and
// looks the same in every browser. Colours follow the canvas's tokens per chain kind.

interface Palette {
  background: string;
  text: string;
  muted: string;
  edge: string;
  path: string;
  kinds: Record<string, { fill: string; stroke: string }>;
}

const LIGHT: Palette = {
  background: '#ffffff',
  text: '#0f172a',
  muted: '#64748b',
  edge: '#cbd5e1',
  path: '#f59e0b',
  kinds: {
    hook: { fill: '#f8fafc', stroke: '#cbd5e1' },
    routing: { fill: '#fffbeb', stroke: '#fcd34d' },
    local: { fill: '#fffbeb', stroke: '#fcd34d' },
    ipvs: { fill: '#f0fdfa', stroke: '#14b8a6' },
    base: { fill: '#ffffff', stroke: '#94a3b8' },
    SERVICES: { fill: '#f0f9ff', stroke: '#38bdf8' },
    NODEPORTS: { fill: '#f0f9ff', stroke: '#38bdf8' },
    SVC: { fill: '#f5f3ff', stroke: '#a78bfa' },
    SVL: { fill: '#f5f3ff', stroke: '#a78bfa' },
    EXT: { fill: '#fdf4ff', stroke: '#e879f9' },
    XLB: { fill: '#fdf4ff', stroke: '#e879f9' },
    FW: { fill: '#fff1f2', stroke: '#fb7185' },
    SEP: { fill: '#ecfdf5', stroke: '#34d399' },
    other: { fill: '#ffffff', stroke: '#cbd5e1' },
    group: { fill: '#f8fafc', stroke: '#94a3b8' },
  },
};

const DARK: Palette = {
  background: '#020617',
  text: '#f1f5f9',
  muted: '#94a3b8',
  edge: '#334155',
  path: '#f59e0b',
  kinds: {
    hook: { fill: '#0f172a', stroke: '#334155' },
    routing: { fill: '#451a03', stroke: '#b45309' },
    local: { fill: '#451a03', stroke: '#b45309' },
    ipvs: { fill: '#042f2e', stroke: '#14b8a6' },
    base: { fill: '#1e293b', stroke: '#64748b' },
    SERVICES: { fill: '#082f49', stroke: '#0284c7' },
    NODEPORTS: { fill: '#082f49', stroke: '#0284c7' },
    SVC: { fill: '#2e1065', stroke: '#7c3aed' },
    SVL: { fill: '#2e1065', stroke: '#7c3aed' },
    EXT: { fill: '#4a044e', stroke: '#c026d3' },
    XLB: { fill: '#4a044e', stroke: '#c026d3' },
    FW: { fill: '#4c0519', stroke: '#e11d48' },
    SEP: { fill: '#022c22', stroke: '#059669' },
    other: { fill: '#1e293b', stroke: '#475569' },
    group: { fill: '#0f172a', stroke: '#64748b' },
  },
};

const MARGIN = 24;

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function kindOf(n: GraphNode): string {
  return n.kind === 'chain' || n.kind === 'group' ? (n.kind === 'group' ? 'group' : n.chainKind) : n.kind;
}

function detail(n: GraphNode): string {
  if (n.kind === 'chain') return `${n.table} · ${n.counts.rules} rule${n.counts.rules === 1 ? '' : 's'}`;
  if (n.kind === 'group') return `${n.counts.chains.toLocaleString('en')} chains`;
  return '';
}

/** The graph as an SVG document; `current` is the node the packet is at, ringed. */
export function graphToSvg(graph: Graph, options: { dark?: boolean; current?: string | null } = {}): string {
  const p = options.dark ? DARK : LIGHT;
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const n of graph.nodes) {
    minX = Math.min(minX, n.position.x);
    minY = Math.min(minY, n.position.y);
    maxX = Math.max(maxX, n.position.x + n.size.width);
    maxY = Math.max(maxY, n.position.y + n.size.height);
  }
  if (graph.nodes.length === 0) minX = minY = maxX = maxY = 0;
  const width = Math.ceil(maxX - minX + 2 * MARGIN);
  const height = Math.ceil(maxY - minY + 2 * MARGIN);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="${minX - MARGIN} ${minY - MARGIN} ${width} ${height}" font-family="ui-monospace, Menlo, Consolas, monospace">`,
    `<rect x="${minX - MARGIN}" y="${minY - MARGIN}" width="${width}" height="${height}" fill="${p.background}"/>`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="${p.muted}"/></marker></defs>`,
  ];
  const drawNode = (n: GraphNode) => {
    const { fill, stroke } = p.kinds[kindOf(n)] ?? p.kinds.other;
    const ring = n.id === options.current ? '#0ea5e9' : n.onPath && n.kind !== 'hook' ? p.path : stroke;
    const strokeWidth = n.id === options.current ? 4 : n.onPath && n.kind !== 'hook' ? 2.5 : 1;
    const { x, y } = n.position;
    const opacity = !n.onPath && n.kind !== 'hook' ? ' opacity="0.6"' : '';
    out.push(
      `<g${opacity}><rect x="${x}" y="${y}" width="${n.size.width}" height="${n.size.height}" rx="6" fill="${fill}" stroke="${ring}" stroke-width="${strokeWidth}"${n.kind === 'group' ? ' stroke-dasharray="4 3"' : ''}/>`,
      `<text x="${x + 8}" y="${y + 15}" font-size="11" font-weight="600" fill="${p.text}">${escapeXml(n.label)}</text>`,
    );
    const second = n.kind === 'chain' && n.service ? n.service : detail(n);
    if (second && n.size.height >= 30)
      out.push(`<text x="${x + 8}" y="${y + 29}" font-size="10" fill="${p.muted}">${escapeXml(second)}</text>`);
    out.push('</g>');
  };
  // Hooks under the edges, chains over them (as on the canvas).
  for (const n of graph.nodes) if (n.kind === 'hook') drawNode(n);
  for (const e of graph.edges) {
    const s = byId.get(e.source);
    const t = byId.get(e.target);
    if (!s || !t) continue;
    const sx = s.position.x + s.size.width;
    const sy = s.position.y + s.size.height / 2;
    const tx = t.position.x;
    const ty = t.position.y + t.size.height / 2;
    const bend = Math.max(40, Math.abs(tx - sx) / 2);
    const colour = e.onPath ? p.path : p.edge;
    out.push(
      `<path d="M ${sx} ${sy} C ${sx + bend} ${sy} ${tx - bend} ${ty} ${tx} ${ty}" fill="none" stroke="${colour}" stroke-width="${e.onPath ? 2.5 : 1}" marker-end="url(#arrow)"/>`,
    );
  }
  for (const n of graph.nodes) if (n.kind !== 'hook') drawNode(n);
  out.push('</svg>');
  return out.join('\n');
}
