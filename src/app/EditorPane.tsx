import { useEffect, useRef, useState } from 'react';
import type { RuleText } from '../worker';
import { requestSlice, requestText } from './engine';
import { LANGUAGE, monaco } from './monaco';
import { afterNextPaint } from './schedule';
import { useCurrentStep } from './steps';
import { BIG_DUMP_BYTES, type BigDump, useAppStore } from './store';

// The dump in Monaco: edits go to the store (the worker re-parses), diagnostics come back as
// markers, and the rule of the current step is highlighted and scrolled into view.
//
// A big dump (a 30 MB node) never enters Monaco whole: taking it blocks the page for 100–600 ms
// (shared/notes/ui-research.md §8). A paste is caught before Monaco sees it and read from the
// clipboard as a Blob for the worker; the editor then shows, read-only, the chains the trace walks.
//
// Service YAML is highlighted as YAML; a second, read-only tab shows the iptables-save kube-proxy
// would write (GeneratedView). The current step's rule is marked there, and its Service in the YAML.

/** Whether the page may read the clipboard without asking (then a paste never becomes a string here). */
function useClipboardReadable(): React.RefObject<boolean> {
  const readable = useRef(false);
  useEffect(() => {
    let status: PermissionStatus | null = null;
    const update = () => {
      readable.current = status?.state === 'granted' && typeof navigator.clipboard?.read === 'function';
    };
    navigator.permissions
      ?.query({ name: 'clipboard-read' as PermissionName })
      .then((s) => {
        status = s;
        update();
        s.addEventListener('change', update);
      })
      .catch(() => {
        // Not a permission this browser knows: pastes go through the paste event.
      });
    return () => status?.removeEventListener('change', update);
  }, []);
  return readable;
}

async function clipboardBlob(): Promise<Blob | null> {
  const items = await navigator.clipboard.read();
  // The browser hands the page the whole clipboard in one task (30 MB: 60–80 ms); this marks it in profiles.
  performance.mark('chainwalk:clipboard read');
  for (const item of items) {
    if (item.types.includes('text/plain')) return item.getType('text/plain');
  }
  return null;
}

function paste(editor: monaco.editor.IStandaloneCodeEditor, text: string): void {
  if (editor.getOption(monaco.editor.EditorOption.readOnly)) {
    // The read-only view of a big dump: a paste replaces the dump.
    useAppStore.getState().setDumpText(text);
    return;
  }
  const selections = editor.getSelections() ?? [];
  editor.pushUndoStop();
  editor.executeEdits(
    'paste',
    selections.map((range) => ({ range, text, forceMoveMarkers: true })),
  );
  editor.pushUndoStop();
}

/** The 1-based line of `rule` in the editor's model: its own line, or where its text is in a view. */
function lineOf(model: monaco.editor.ITextModel, rule: RuleText, view: boolean): number | null {
  if (!view) return rule.line;
  const found = model.findMatches(rule.text, false, false, true, null, false, 1)[0];
  return found ? found.range.startLineNumber : null;
}

/**
 * Sends a big paste to the worker. The paste's Ctrl+A selection is dropped first: the banner resizes
 * the editor, and Monaco re-measuring a selection over every visible line was one 50–70 ms frame.
 */
function takeBigDump(editor: monaco.editor.IStandaloneCodeEditor, bigDump: BigDump): void {
  performance.mark('chainwalk:big dump');
  editor.setPosition({ lineNumber: 1, column: 1 });
  useAppStore.getState().loadBigDump(bigDump);
}

/**
 * Puts a new model in the editor: built first, attached in a task of its own a frame later (no long
 * task, ui-research §8.6). Attaching in a timer rather than an animation frame keeps it apart from
 * Monaco's own render of the new model, which runs in the next frame.
 */
function swapModel(
  editorRef: React.RefObject<monaco.editor.IStandaloneCodeEditor | null>,
  text: string,
  onDone: (model: monaco.editor.ITextModel) => void,
): () => void {
  const model = monaco.editor.createModel(text, LANGUAGE);
  let attached = false;
  const cancel = afterNextPaint(() => {
    const editor = editorRef.current;
    if (!editor) {
      model.dispose();
      return;
    }
    attached = true;
    const old = editor.getModel();
    // Editable again if it showed a big dump's view.
    editor.updateOptions({ readOnly: false });
    editor.setModel(model);
    performance.mark('chainwalk:editor model');
    onDone(model);
    // The old model goes later, in a task of its own.
    if (old) setTimeout(() => old.dispose(), 0);
  });
  return () => {
    cancel();
    if (!attached) model.dispose();
  };
}

/** Replaces the text of the editor's model for reading only, and shows it from its top left. */
function replaceReadOnly(editor: monaco.editor.IStandaloneCodeEditor, model: monaco.editor.ITextModel, text: string) {
  // Read-only first: the edit listener ignores what a read-only editor's model does.
  editor.updateOptions({ readOnly: true });
  model.setValue(text);
  toTop(editor);
}

/**
 * Scrolls a view whose text was replaced back to its top left. Monaco scrolls by offsets of its own,
 * but the browser may also have scrolled its container natively, to show the focused text area where
 * the paste's Ctrl+A left the cursor (a new model used to rebuild that container; the same one keeps it).
 */
function toTop(editor: monaco.editor.IStandaloneCodeEditor): void {
  editor.setScrollPosition({ scrollLeft: 0, scrollTop: 0 });
  for (const el of editor.getDomNode()?.querySelectorAll('.monaco-scrollable-element') ?? []) {
    el.scrollLeft = 0;
    el.scrollTop = 0;
  }
}

/**
 * Shows a big dump's view (a few hundred lines) read-only in the editor's own model, in a task of its
 * own: replacing the text of the model in place is about half the cost of attaching a new model
 * (setModel tears the view down and builds it again).
 */
function showView(
  editorRef: React.RefObject<monaco.editor.IStandaloneCodeEditor | null>,
  text: string,
  onDone: (model: monaco.editor.ITextModel) => void,
): () => void {
  const timer = setTimeout(() => {
    const editor = editorRef.current;
    const model = editor?.getModel();
    if (!editor || !model) return;
    replaceReadOnly(editor, model, text);
    performance.mark('chainwalk:editor model');
    onDone(model);
  }, 0);
  return () => clearTimeout(timer);
}

/** Text streamed into the editor per piece, cut at a line end (ui-research §8.6: bigger pieces made long tasks). */
const PIECE = 64 * 1024;
/** Pieces go in for this long per frame. */
const PIECE_BUDGET_MS = 8;

/**
 * Streams a big dump's whole text into the editor's model, read-only, a few pieces per frame
 * (ui-research §8.6: 26.5 MB in about 2 s, no long task). The model starts empty, so Monaco colours
 * it as it goes; its line numbers are the dump's own.
 */
function streamWhole(
  editor: monaco.editor.IStandaloneCodeEditor,
  text: string,
  onProgress: (done: number) => void,
  onDone: (model: monaco.editor.ITextModel) => void,
): () => void {
  const model = editor.getModel();
  if (!model) return () => {};
  replaceReadOnly(editor, model, '');
  let at = 0;
  let frame = 0;
  let reported = 0;
  const piece = () => {
    const started = performance.now();
    while (at < text.length && performance.now() - started < PIECE_BUDGET_MS) {
      const cut = text.indexOf('\n', Math.min(text.length, at + PIECE));
      const end = cut === -1 ? text.length : cut + 1;
      const last = model.getLineCount();
      const column = model.getLineMaxColumn(last);
      model.applyEdits([{ range: new monaco.Range(last, column, last, column), text: text.slice(at, end) }]);
      at = end;
    }
    if (at >= text.length) {
      performance.mark('chainwalk:editor model');
      onDone(model);
      return;
    }
    if (started - reported > 100) {
      reported = started;
      onProgress(at / text.length);
    }
    frame = requestAnimationFrame(piece);
  };
  frame = requestAnimationFrame(piece);
  return () => cancelAnimationFrame(frame);
}

/** Marks the current step's line (or clears the mark) and scrolls it into view. */
function markLine(
  editor: monaco.editor.IStandaloneCodeEditor,
  decorations: monaco.editor.IEditorDecorationsCollection,
  line: number | null,
): void {
  if (line === null) {
    decorations.clear();
    return;
  }
  decorations.set([
    { range: new monaco.Range(line, 1, line, 1), options: { isWholeLine: true, className: 'cw-current-rule' } },
  ]);
  editor.revealLineInCenterIfOutsideViewport(line);
  // A rule reads from its start: `-A CHAIN`.
  editor.setScrollLeft(0);
}

/** A big dump's view keeps this many rules either side of a matched one in a long chain. */
const VIEW_AROUND = 3;

const megabytes = (bytes: number) => `${(bytes / (1 << 20)).toFixed(1)} MB`;

/** What the editor shows of a big dump. */
type BigView =
  | { kind: 'waiting' }
  | { kind: 'slice'; lines: number }
  | { kind: 'loading'; done: number }
  | { kind: 'whole'; lines: number };

const WAITING: BigView = { kind: 'waiting' };

function BigDumpBanner(props: { bigDump: BigDump; view: BigView; showWhole: () => void }) {
  const { bigDump, view } = props;
  const from = bigDump.from === 'file' ? (bigDump.name ?? 'a file') : 'the clipboard';
  const lines = (n: number) => n.toLocaleString('en');
  return (
    <p
      data-testid="big-dump"
      className="border-b border-sky-300 bg-sky-50 px-3 py-1.5 text-xs text-sky-900 dark:border-sky-800 dark:bg-sky-950 dark:text-sky-100"
    >
      A {megabytes(bigDump.bytes)} dump from {from}: the engine holds all of it, but it is too big to edit here without
      stalling the page. {view.kind === 'waiting' && 'The chains this trace walks will show here, read-only.'}
      {view.kind === 'slice' && (
        <>
          Shown read-only: the chains this trace walks, {lines(view.lines)} lines, long ones only near the rules it
          matched.{' '}
          <button type="button" className="underline" onClick={props.showWhole}>
            Show the whole dump
          </button>{' '}
          (read-only, with its own line numbers).
        </>
      )}
      {view.kind === 'loading' && `Loading the whole dump into the editor: ${Math.floor(view.done * 100)}%…`}
      {view.kind === 'whole' && `Shown read-only: the whole dump, ${lines(view.lines)} lines.`} Paste or drop another
      dump to replace it.
    </p>
  );
}

export default function EditorPane() {
  const host = useRef<HTMLDivElement>(null);
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const setDumpText = useAppStore((s) => s.setDumpText);
  const dumpText = useAppStore((s) => s.dumpText);
  const bigDump = useAppStore((s) => s.bigDump);
  const result = useAppStore((s) => s.result);
  const diagnostics = useAppStore((s) => s.diagnostics);
  const ruleTexts = useAppStore((s) => s.ruleTexts);
  const input = useAppStore((s) => s.input);
  const yaml = input.kind === 'kube-yaml';
  const [tab, setTab] = useState<'input' | 'generated'>('input');
  const shown = yaml ? tab : 'input';
  const { step } = useCurrentStep();
  // What to mark: the rule of a netfilter step (in the YAML's generated tab for YAML), the virtual
  // service of an IPVS step (in the paste), or for YAML the Service the step's chain came from.
  const netfilterRule = step?.kind === 'netfilter' && step.event.ruleId !== null ? ruleTexts[step.event.ruleId] : null;
  const service =
    yaml && step?.kind === 'netfilter' ? input.services.find((x) => x.chains.includes(step.event.chain)) : undefined;
  const rule: RuleText | null = yaml
    ? service
      ? { line: service.portLine, text: '' }
      : null
    : step?.kind === 'ipvs'
      ? step.event.span
        ? { line: step.event.span.line, text: '' }
        : null
      : (netfilterRule ?? null);
  const decorations = useRef<monaco.editor.IEditorDecorationsCollection | null>(null);
  const readable = useClipboardReadable();
  /** Lines of the read-only view of a big dump, once it is in the editor. */
  const [view, setView] = useState<BigView>(WAITING);
  /** The whole dump is in the editor, or on its way: a new trace only moves the mark. */
  const whole = view.kind === 'whole' || view.kind === 'loading';
  /** The editor's lines are the dump's own: a small dump, or a big one shown whole. */
  const ownLines = !bigDump || view.kind === 'whole';
  const [modelVersion, setModelVersion] = useState(0);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const editor = monaco.editor.create(el, {
      value: useAppStore.getState().dumpText,
      language: LANGUAGE,
      automaticLayout: true,
      minimap: { enabled: false },
      wordWrap: 'off',
      fontSize: 12,
      ariaLabel: 'iptables-save dump',
      scrollBeyondLastLine: false,
      wordSeparators: '`~!@#$%^&*()=+[{]}\\|;\'",<>/?',
    });
    editorRef.current = editor;
    decorations.current = editor.createDecorationsCollection();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const sub = editor.onDidChangeModelContent(() => {
      // A big dump's read-only view is not the dump.
      if (editor.getOption(monaco.editor.EditorOption.readOnly)) return;
      clearTimeout(timer);
      // The latest edit wins: the worker drops stale parses anyway.
      timer = setTimeout(() => setDumpText(editor.getValue()), 120);
    });
    // Capture phase: this runs before Monaco's own paste handling, and can keep a big paste from it.
    const onPaste = (event: ClipboardEvent) => {
      const { setNotice } = useAppStore.getState();
      if (readable.current) {
        event.preventDefault();
        event.stopImmediatePropagation();
        clipboardBlob()
          .then(async (blob) => {
            if (!blob) {
              setNotice('The clipboard holds no text to paste.');
              return;
            }
            // In a task of its own, apart from the browser's task that handed over the blob.
            if (blob.size > BIG_DUMP_BYTES)
              setTimeout(() => takeBigDump(editor, { source: blob, bytes: blob.size, from: 'clipboard' }), 0);
            else paste(editor, await blob.text());
          })
          .catch(() => setNotice('The clipboard could not be read: drop the dump onto the page instead.'));
        return;
      }
      // Without the permission the text has to be read here (one 100–160 ms task at 30 MB), but Monaco still never takes it.
      const text = event.clipboardData?.getData('text/plain') ?? '';
      if (text.length <= BIG_DUMP_BYTES) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      takeBigDump(editor, { source: text, bytes: text.length, from: 'clipboard' });
    };
    el.addEventListener('paste', onPaste, true);
    return () => {
      clearTimeout(timer);
      el.removeEventListener('paste', onPaste, true);
      sub.dispose();
      editor.dispose();
      editorRef.current = null;
    };
  }, [setDumpText, readable]);

  // A dump replaced from outside (a permalink, a dropped file): load it without echoing it back.
  useEffect(() => {
    const editor = editorRef.current;
    if (!editor || bigDump) return;
    const readOnly = editor.getOption(monaco.editor.EditorOption.readOnly);
    if (!readOnly && editor.getValue() === dumpText) return;
    setView(WAITING);
    return swapModel(editorRef, dumpText, () => setModelVersion((v) => v + 1));
  }, [dumpText, bigDump]);

  // A big dump: once traced, show the chains the trace walks (the worker's slice), read-only.
  useEffect(() => {
    if (!bigDump || !result || whole) return;
    let cancel: (() => void) | undefined;
    let current = true;
    const fetchView = () =>
      requestSlice(VIEW_AROUND)
        .then((slice) => {
          if (!current || slice === null) return;
          cancel = showView(editorRef, slice, (model) => {
            setView({ kind: 'slice', lines: model.getLineCount() });
            setModelVersion((v) => v + 1);
          });
        })
        .catch(() => {
          // Overtaken by a newer trace: its own slice follows.
        });
    // Once the page is idle: the trace's panel and the graph draw first, and the view's frames
    // do not land on theirs.
    const idle = requestIdleCallback(
      () => {
        if (current) fetchView();
      },
      { timeout: 1000 },
    );
    return () => {
      current = false;
      cancelIdleCallback(idle);
      cancel?.();
    };
  }, [bigDump, result, whole]);

  useEffect(() => {
    if (bigDump) setView(WAITING);
  }, [bigDump]);

  // The whole dump, on request: streamed from the worker into the editor, read-only.
  const [wholeFor, setWholeFor] = useState<BigDump | null>(null);
  useEffect(() => {
    if (!bigDump || wholeFor !== bigDump) return;
    let cancel: (() => void) | undefined;
    let current = true;
    setView({ kind: 'loading', done: 0 });
    requestText()
      .then((text) => {
        const editor = editorRef.current;
        if (!current || text === null || !editor) return;
        cancel = streamWhole(
          editor,
          text,
          (done) => setView({ kind: 'loading', done }),
          (model) => {
            setView({ kind: 'whole', lines: model.getLineCount() });
            setModelVersion((v) => v + 1);
          },
        );
      })
      .catch(() => {
        if (current) setView(WAITING);
      });
    return () => {
      current = false;
      cancel?.();
    };
  }, [bigDump, wholeFor]);

  useEffect(() => {
    const model = editorRef.current?.getModel();
    if (!model || modelVersion < 0) return;
    // In a big dump's view the parser's line numbers are not the view's; the whole dump's are.
    const shown = ownLines ? diagnostics : [];
    monaco.editor.setModelMarkers(
      model,
      'chainwalk',
      shown.map((d) => ({
        severity:
          d.severity === 'error'
            ? monaco.MarkerSeverity.Error
            : d.severity === 'warning'
              ? monaco.MarkerSeverity.Warning
              : monaco.MarkerSeverity.Info,
        message: d.message,
        code: d.code,
        startLineNumber: d.span.line,
        startColumn: d.span.column,
        endLineNumber: d.span.line,
        endColumn: d.span.column + Math.max(1, d.span.length),
      })),
    );
  }, [diagnostics, ownLines, modelVersion]);

  useEffect(() => {
    const editor = editorRef.current;
    const model = editor?.getModel();
    if (!editor || !model || !decorations.current) return;
    const line = rule && modelVersion >= 0 ? lineOf(model, rule, !ownLines) : null;
    markLine(editor, decorations.current, line !== null && line <= model.getLineCount() ? line : null);
  }, [rule, ownLines, modelVersion]);

  // YAML is highlighted as YAML (the model may have been swapped in since).
  useEffect(() => {
    const model = editorRef.current?.getModel();
    if (model && modelVersion >= 0) monaco.editor.setModelLanguage(model, yaml ? 'yaml' : LANGUAGE);
  }, [yaml, modelVersion]);

  return (
    <div className="flex h-full min-h-[28rem] w-full flex-col">
      {bigDump && <BigDumpBanner bigDump={bigDump} view={view} showWhole={() => setWholeFor(bigDump)} />}
      {yaml && <GeneratedTabs shown={shown} setTab={setTab} generated={input.generated} />}
      <div
        ref={host}
        className={`min-h-0 w-full flex-1 [contain:strict] ${shown === 'input' ? '' : 'hidden'}`}
        data-testid={shown === 'input' ? 'editor' : 'editor-hidden'}
        data-tab="input"
      />
      {yaml && shown === 'generated' && <GeneratedView text={input.generated} line={netfilterRule?.line ?? null} />}
    </div>
  );
}

function GeneratedTabs(props: {
  shown: 'input' | 'generated';
  setTab: (tab: 'input' | 'generated') => void;
  generated: string;
}) {
  return (
    <div className="flex gap-1 border-b border-slate-200 px-1 pt-1 text-xs dark:border-slate-800" role="tablist">
      {(
        [
          ['input', 'Service YAML'],
          ['generated', 'generated rules (read-only)'],
        ] as const
      ).map(([id, label]) => (
        <button
          key={id}
          type="button"
          role="tab"
          aria-selected={props.shown === id}
          onClick={() => props.setTab(id)}
          className={`rounded-t px-2 py-1 ${props.shown === id ? 'bg-sky-100 font-medium dark:bg-sky-900' : 'text-slate-500'}`}
        >
          {label}
        </button>
      ))}
      {props.shown === 'generated' && (
        <button
          type="button"
          className="ml-auto px-2 py-1 text-slate-500 hover:text-slate-900 dark:hover:text-slate-100"
          onClick={() => void navigator.clipboard.writeText(props.generated)}
        >
          Copy
        </button>
      )}
    </div>
  );
}

/** The iptables-save generated from the YAML, read-only, with the current step's rule marked. */
function GeneratedView({ text, line }: { text: string; line: number | null }) {
  const host = useRef<HTMLDivElement>(null);
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const decorations = useRef<monaco.editor.IEditorDecorationsCollection | null>(null);
  useEffect(() => {
    if (!host.current) return;
    const editor = monaco.editor.create(host.current, {
      value: '',
      language: LANGUAGE,
      readOnly: true,
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 12,
      ariaLabel: 'the iptables-save generated from the YAML',
      scrollBeyondLastLine: false,
    });
    editorRef.current = editor;
    decorations.current = editor.createDecorationsCollection();
    return () => {
      editor.dispose();
      editorRef.current = null;
    };
  }, []);
  useEffect(() => {
    const editor = editorRef.current;
    if (!editor || !decorations.current) return;
    if (editor.getValue() !== text) editor.setValue(text);
    markLine(editor, decorations.current, line);
  }, [line, text]);
  return <div ref={host} className="min-h-0 w-full flex-1" data-testid="editor" data-tab="generated" />;
}
