import { decodeTraceFile, encodeTraceFile, type ShareStateV1 } from '../share';
import { BIG_DUMP_BYTES, useAppStore } from './store';

// Files in and out: a dropped dump or trace file opens; a trace whose link would be too long
// leaves as a trace file (the link's state as JSON) that opens the same trace when dropped back.

export const TRACE_FILE_NAME = 'chainwalk-trace.chainwalk.json';

/** Opens a dropped file: a trace file restores its trace; anything else is a dump. */
export async function openDroppedFile(file: File): Promise<void> {
  const { restore, setNotice, setDumpText, loadBigDump } = useAppStore.getState();
  // A dump starts with `#`, `*` or `:`/`-A` (an excerpt); a trace file is JSON.
  const head = await file.slice(0, 64).text();
  if (head.trimStart().startsWith('{')) {
    const r = decodeTraceFile(await file.text());
    if (!r.ok) {
      setNotice(`${file.name}: ${r.message}`);
      return;
    }
    restore(r.state);
    setNotice(`Opened the trace in ${file.name}.`);
    return;
  }
  setNotice(null);
  // A big dump is read by the worker from the file handle; it never becomes a string here.
  if (file.size > BIG_DUMP_BYTES) loadBigDump({ source: file, bytes: file.size, from: 'file', name: file.name });
  else setDumpText(await file.text());
}

/** Saves `state` as a trace file through the browser's download. */
export function downloadTraceFile(state: ShareStateV1): void {
  const url = URL.createObjectURL(new Blob([encodeTraceFile(state)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = TRACE_FILE_NAME;
  a.click();
  // After the click has started the download.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
