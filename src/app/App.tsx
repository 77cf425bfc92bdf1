import { lazy, Suspense } from 'react';
import { Canvas } from './Canvas';
import { DropLoader } from './DropLoader';
import { EngineStatus } from './EngineStatus';
import { useEngine } from './engine';
import { PacketPanel } from './PacketPanel';
import { currentSample, sampleContext, samples } from './sample';
import { copyTraceMarkdown, shareCurrentTrace, usePermalink } from './share';
import { useAppStore } from './store';
import { type ThemeChoice, useTheme } from './theme';

// Monaco is big: it loads in its own chunk, after the page is up.
const EditorPane = lazy(() => import('./EditorPane'));

/** Opens one of the built-in sample nodes, with its first scenario traced. */
function SamplePicker() {
  const restore = useAppStore((s) => s.restore);
  const current = useAppStore((s) => currentSample(s)?.id ?? '');
  return (
    <label className="flex items-center gap-1 text-sm">
      sample
      <select
        aria-label="sample node"
        className="rounded border border-slate-300 bg-white px-1 py-1 dark:border-slate-700 dark:bg-slate-900"
        value={current}
        onChange={(event) => {
          const sample = samples.find((x) => x.id === event.target.value);
          if (sample)
            restore({ text: sample.dump, context: sampleContext, packet: sample.scenarios[0].packet, path: 0 });
        }}
      >
        {current === '' && <option value="">(your own input)</option>}
        {samples.map((x) => (
          <option key={x.id} value={x.id}>
            {x.label}
          </option>
        ))}
      </select>
    </label>
  );
}

const THEME_CHOICES: [ThemeChoice, string][] = [
  ['system', 'System'],
  ['light', 'Light'],
  ['dark', 'Dark'],
];

/** System / Light / Dark, as radios (arrow keys move between them); remembered by theme.ts. */
function ThemeSwitch() {
  const choice = useTheme((s) => s.choice);
  const choose = useTheme((s) => s.choose);
  return (
    <fieldset className="flex overflow-hidden rounded-md border border-slate-300 text-sm dark:border-slate-700">
      <legend className="sr-only">theme</legend>
      {THEME_CHOICES.map(([value, label]) => (
        <label
          key={value}
          className="cursor-pointer px-2 py-1.5 hover:bg-slate-100 has-checked:bg-slate-200 has-checked:font-medium has-focus-visible:outline-2 has-focus-visible:-outline-offset-2 has-focus-visible:outline-sky-500 dark:hover:bg-slate-800 dark:has-checked:bg-slate-700"
        >
          <input
            type="radio"
            name="theme"
            value={value}
            checked={choice === value}
            onChange={() => choose(value)}
            className="sr-only"
          />
          {label}
        </label>
      ))}
    </fieldset>
  );
}

function InputTitle() {
  const yaml = useAppStore((s) => s.input.kind === 'kube-yaml');
  return (
    <h2 className="text-sm font-medium" data-testid="input-title">
      {yaml
        ? 'Service YAML → the rules kube-proxy (iptables mode) would write'
        : 'iptables-save dump (or Service YAML)'}
    </h2>
  );
}

export function App() {
  const notice = useAppStore((s) => s.notice);
  useEngine();
  usePermalink();

  return (
    <div className="flex min-h-screen flex-col bg-white text-slate-900 lg:h-screen dark:bg-slate-950 dark:text-slate-100">
      <header className="flex items-center justify-between gap-4 border-b border-slate-200 px-4 py-2 dark:border-slate-800">
        <div className="min-w-0">
          <h1 className="text-xl font-semibold tracking-tight">chainwalk</h1>
          <p className="truncate text-sm text-slate-600 dark:text-slate-400">
            Paste a node&rsquo;s <code className="font-mono">iptables-save</code> and walk a packet through it as
            netfilter does. Share makes a link to this exact trace.
          </p>
        </div>
        <div className="flex shrink-0 items-center gap-2">
          <SamplePicker />
          {(
            [
              ['Copy as Markdown', copyTraceMarkdown],
              ['Share', shareCurrentTrace],
            ] as const
          ).map(([label, action]) => (
            <button
              key={label}
              type="button"
              onClick={() => void action()}
              className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800"
            >
              {label}
            </button>
          ))}
          <ThemeSwitch />
        </div>
      </header>
      <DropLoader />
      {notice && (
        <p
          role="status"
          data-testid="notice"
          className="border-b border-amber-300 bg-amber-50 px-4 py-2 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100"
        >
          {notice}
        </p>
      )}
      <main className="flex min-h-0 flex-1 flex-col gap-2 px-4 py-2">
        <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
          <EngineStatus />
          <p className="text-xs text-slate-600 dark:text-slate-400" data-testid="hint">
            Next: pick a scenario on the right, step with ‹ › (or space and the arrow keys), or paste your own
            node&rsquo;s <code className="font-mono">iptables-save</code> into the editor.
          </p>
        </div>
        {/* The three columns contain their layout: Monaco's measuring and React Flow's ResizeObserver then lay out only their own column. */}
        <div className="grid min-h-0 flex-1 grid-cols-1 gap-3 lg:grid-cols-[minmax(16rem,1fr)_minmax(0,1.5fr)_minmax(22rem,27rem)]">
          <section aria-label="input" className="flex min-h-[24rem] flex-col gap-1 lg:min-h-0">
            <InputTitle />
            <div className="min-h-0 flex-1 overflow-hidden rounded-md border border-slate-300 dark:border-slate-700">
              <Suspense fallback={<p className="p-3 text-sm text-slate-500">Loading the editor…</p>}>
                <EditorPane />
              </Suspense>
            </div>
          </section>
          <section
            aria-label="chain graph"
            className="min-h-[24rem] rounded-md border border-slate-200 [contain:strict] lg:min-h-0 dark:border-slate-800"
          >
            <Canvas />
          </section>
          <section aria-label="packet" className="min-h-0 overflow-y-auto pr-1 [contain:layout_paint]">
            <PacketPanel />
          </section>
        </div>
      </main>
    </div>
  );
}
