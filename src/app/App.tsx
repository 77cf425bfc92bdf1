import { lazy, Suspense } from 'react';
import { Canvas } from './Canvas';
import { DropLoader } from './DropLoader';
import { EngineStatus } from './EngineStatus';
import { useEngine } from './engine';
import { PacketPanel } from './PacketPanel';
import { copyTraceMarkdown, shareCurrentTrace, usePermalink } from './share';
import { useAppStore } from './store';

// Monaco is big: it loads in its own chunk, after the page is up.
const EditorPane = lazy(() => import('./EditorPane'));

export function App() {
  const notice = useAppStore((s) => s.notice);
  useEngine();
  usePermalink();

  return (
    <div className="flex min-h-screen flex-col bg-white text-slate-900 dark:bg-slate-950 dark:text-slate-100">
      <header className="flex items-start justify-between gap-4 border-b border-slate-200 px-6 py-4 dark:border-slate-800">
        <div>
          <h1 className="text-xl font-semibold tracking-tight">chainwalk</h1>
          <p className="text-sm text-slate-600 dark:text-slate-400">
            Paste a node&rsquo;s <code className="font-mono">iptables-save</code> and walk a packet through it as
            netfilter does. Pick a path below the graph to follow it; Share makes a link to this exact trace.
          </p>
        </div>
        <div className="flex gap-2">
          <button
            type="button"
            onClick={() => void copyTraceMarkdown()}
            className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800"
          >
            Copy as Markdown
          </button>
          <button
            type="button"
            onClick={() => void shareCurrentTrace()}
            className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800"
          >
            Share
          </button>
        </div>
      </header>
      <DropLoader />
      {notice && (
        <p
          role="status"
          data-testid="notice"
          className="border-b border-amber-300 bg-amber-50 px-6 py-2 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100"
        >
          {notice}
        </p>
      )}
      <main className="flex flex-1 flex-col gap-2 p-4">
        <EngineStatus />
        <div className="grid min-h-[32rem] flex-1 grid-cols-1 gap-3 lg:grid-cols-[minmax(18rem,1fr)_2fr]">
          <div className="flex flex-col gap-1">
            <h2 className="text-sm font-medium">iptables-save dump</h2>
            <div className="min-h-[28rem] flex-1 overflow-hidden rounded-md border border-slate-300 dark:border-slate-700">
              <Suspense fallback={<p className="p-3 text-sm text-slate-500">Loading the editor…</p>}>
                <EditorPane />
              </Suspense>
            </div>
          </div>
          <div className="flex flex-col gap-2">
            <section
              aria-label="chain graph"
              className="min-h-[24rem] flex-1 rounded-md border border-slate-200 dark:border-slate-800"
            >
              <Canvas />
            </section>
            <PacketPanel />
          </div>
        </div>
      </main>
    </div>
  );
}
