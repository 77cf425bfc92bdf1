import { useState } from 'react';
import { type Graph, graphToSvg } from '../graph';
import { useAppStore } from './store';
import { useTheme } from './theme';

// "Export PNG": the whole chain graph as an image for a ticket or slides. The graph stage draws it
// as SVG from its own data (src/graph/svg.ts); the page only rasterises that at twice its size.

const SCALE = 2;
/** Canvas limits in Chromium are about 16k per side: larger graphs are scaled to fit. */
const MAX_SIDE = 16_000;

async function rasterise(svg: string): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const scale = Math.min(SCALE, MAX_SIDE / image.width, MAX_SIDE / image.height);
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(image.width * scale);
    canvas.height = Math.round(image.height * scale);
    canvas.getContext('2d')?.drawImage(image, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the browser made no image'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function ExportPng({ graph }: { graph: Graph }) {
  const setNotice = useAppStore((s) => s.setNotice);
  const [busy, setBusy] = useState(false);
  const exportPng = async () => {
    setBusy(true);
    try {
      const { step } = useAppStore.getState();
      const dark = useTheme.getState().theme === 'dark';
      const svg = graphToSvg(graph, { dark, current: graph.path[step] ?? null });
      download(await rasterise(svg), 'chainwalk-graph.png');
      setNotice('The chain graph was saved as chainwalk-graph.png.');
    } catch (error) {
      setNotice(`The graph could not be exported: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <button
      type="button"
      disabled={busy}
      onClick={() => void exportPng()}
      className="rounded border border-slate-300 bg-white/90 px-2 py-1 text-xs shadow disabled:opacity-50 dark:border-slate-700 dark:bg-slate-900/90"
    >
      {busy ? 'Exporting…' : 'Export PNG'}
    </button>
  );
}
