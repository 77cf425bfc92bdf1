import { useEffect, useState } from 'react';
import { openDroppedFile } from './files';

const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;

/**
 * Dropping a file anywhere on the page opens it: a dump (read by the worker when it is big) or a
 * trace file. While a file is dragged over the page, an overlay says what dropping it does.
 */
export function DropLoader() {
  const [over, setOver] = useState(false);
  useEffect(() => {
    let depth = 0;
    const onEnter = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      depth++;
      setOver(true);
    };
    const onLeave = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setOver(false);
    };
    const onOver = (event: DragEvent) => {
      if (!carriesFiles(event) || !event.dataTransfer) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = 'copy';
    };
    // Capture phase: before Monaco, which would insert the file's name as text.
    const onDrop = (event: DragEvent) => {
      const file = event.dataTransfer?.files[0];
      depth = 0;
      setOver(false);
      if (!file) return;
      event.preventDefault();
      event.stopPropagation();
      void openDroppedFile(file);
    };
    window.addEventListener('dragenter', onEnter, true);
    window.addEventListener('dragleave', onLeave, true);
    window.addEventListener('dragover', onOver, true);
    window.addEventListener('drop', onDrop, true);
    return () => {
      window.removeEventListener('dragenter', onEnter, true);
      window.removeEventListener('dragleave', onLeave, true);
      window.removeEventListener('dragover', onOver, true);
      window.removeEventListener('drop', onDrop, true);
    };
  }, []);
  if (!over) return null;
  return (
    <div
      data-testid="drop-overlay"
      className="pointer-events-none fixed inset-0 z-50 flex items-center justify-center bg-sky-500/15 backdrop-blur-[1px]"
    >
      <p className="rounded-lg border-2 border-dashed border-sky-500 bg-white px-6 py-4 text-sm font-medium text-sky-900 shadow dark:bg-slate-900 dark:text-sky-100">
        Drop an <code className="font-mono">iptables-save</code> dump or a chainwalk trace file to open it
      </p>
    </div>
  );
}
