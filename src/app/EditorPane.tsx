import { useEffect, useRef, useState } from 'react';
import { LANGUAGE, monaco } from './monaco';
import { useCurrentStep } from './steps';
import { useAppStore } from './store';

// The input in Monaco: edits go to the store (the worker re-parses), diagnostics come back as
// markers, and the rule of the current step is highlighted and scrolled into view. For Service
// YAML a second, read-only tab shows the iptables-save kube-proxy would write; the current step's
// rule is marked there, and its Service in the YAML.

type Tab = 'input' | 'generated';

const SEVERITY = {
  error: monaco.MarkerSeverity.Error,
  warning: monaco.MarkerSeverity.Warning,
  info: monaco.MarkerSeverity.Info,
} as const;

function wholeLine(line: number): monaco.editor.IModelDeltaDecoration {
  return { range: new monaco.Range(line, 1, line, 1), options: { isWholeLine: true, className: 'cw-current-rule' } };
}

export default function EditorPane() {
  const host = useRef<HTMLDivElement>(null);
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const models = useRef<{ input: monaco.editor.ITextModel; generated: monaco.editor.ITextModel } | null>(null);
  const marks = useRef<{ input: string[]; generated: string[] }>({ input: [], generated: [] });
  const setDumpText = useAppStore((s) => s.setDumpText);
  const dumpText = useAppStore((s) => s.dumpText);
  const diagnostics = useAppStore((s) => s.diagnostics);
  const input = useAppStore((s) => s.input);
  const yaml = input.kind === 'kube-yaml';
  const [tab, setTab] = useState<Tab>('input');
  const shown: Tab = yaml ? tab : 'input';
  const ruleTexts = useAppStore((s) => s.ruleTexts);
  const { step } = useCurrentStep();
  // The rule of a netfilter step; for an IPVS step, its virtual service in the paste.
  const line =
    step?.kind === 'netfilter'
      ? step.event.ruleId !== null
        ? (ruleTexts[step.event.ruleId]?.line ?? null)
        : null
      : (step?.event.span?.line ?? null);
  const chain = step?.kind === 'netfilter' ? step.event.chain : null;

  useEffect(() => {
    if (!host.current) return;
    const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
    const inputModel = monaco.editor.createModel(useAppStore.getState().dumpText, LANGUAGE);
    const generated = monaco.editor.createModel('', LANGUAGE);
    models.current = { input: inputModel, generated };
    const editor = monaco.editor.create(host.current, {
      model: inputModel,
      theme: dark ? 'vs-dark' : 'vs',
      automaticLayout: true,
      minimap: { enabled: false },
      wordWrap: 'off',
      fontSize: 12,
      ariaLabel: 'input: an iptables-save dump or Service YAML',
      scrollBeyondLastLine: false,
      wordSeparators: '`~!@#$%^&*()=+[{]}\\|;\'",<>/?',
    });
    editorRef.current = editor;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const sub = inputModel.onDidChangeContent(() => {
      clearTimeout(timer);
      // The latest edit wins: the worker drops stale parses anyway.
      timer = setTimeout(() => setDumpText(inputModel.getValue()), 120);
    });
    return () => {
      clearTimeout(timer);
      sub.dispose();
      editor.dispose();
      inputModel.dispose();
      generated.dispose();
      editorRef.current = null;
      models.current = null;
    };
  }, [setDumpText]);

  // A text replaced from outside (a permalink, a scenario): load it without echoing it back.
  useEffect(() => {
    const model = models.current?.input;
    if (model && model.getValue() !== dumpText) model.setValue(dumpText);
  }, [dumpText]);

  // YAML is highlighted as YAML; its generated dump fills the read-only tab.
  useEffect(() => {
    const m = models.current;
    if (!m) return;
    monaco.editor.setModelLanguage(m.input, yaml ? 'yaml' : LANGUAGE);
    if (input.kind === 'kube-yaml' && m.generated.getValue() !== input.generated) m.generated.setValue(input.generated);
  }, [yaml, input]);

  useEffect(() => {
    const editor = editorRef.current;
    const m = models.current;
    if (!editor || !m) return;
    const model = shown === 'generated' ? m.generated : m.input;
    if (editor.getModel() !== model) editor.setModel(model);
    editor.updateOptions({ readOnly: shown === 'generated' });
  }, [shown]);

  useEffect(() => {
    const model = models.current?.input;
    if (!model) return;
    monaco.editor.setModelMarkers(
      model,
      'chainwalk',
      diagnostics.map((d) => ({
        severity: SEVERITY[d.severity],
        message: d.message,
        code: d.code,
        startLineNumber: d.span.line,
        startColumn: d.span.column,
        endLineNumber: d.span.line,
        endColumn: d.span.column + Math.max(1, d.span.length),
      })),
    );
  }, [diagnostics]);

  // The current step: its rule in the dump (the generated one for YAML), and for YAML its Service.
  useEffect(() => {
    const m = models.current;
    const editor = editorRef.current;
    if (!m || !editor) return;
    const ruleModel = yaml ? m.generated : m.input;
    const otherModel = yaml ? m.input : m.generated;
    const ruleKey = yaml ? 'generated' : 'input';
    const otherKey = yaml ? 'input' : 'generated';
    marks.current[ruleKey] = ruleModel.deltaDecorations(marks.current[ruleKey], line === null ? [] : [wholeLine(line)]);
    const service = yaml && chain !== null ? input.services.find((s) => s.chains.includes(chain)) : undefined;
    marks.current[otherKey] = otherModel.deltaDecorations(
      marks.current[otherKey],
      service ? [wholeLine(service.line), wholeLine(service.portLine)] : [],
    );
    const shownModel = editor.getModel();
    if (shownModel === ruleModel && line !== null) editor.revealLineInCenterIfOutsideViewport(line);
    if (shownModel === otherModel && service) editor.revealLineInCenterIfOutsideViewport(service.portLine);
  }, [line, chain, yaml, input]);

  return (
    <div className="flex h-full flex-col">
      {yaml && (
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
              aria-selected={shown === id}
              onClick={() => setTab(id)}
              className={`rounded-t px-2 py-1 ${shown === id ? 'bg-sky-100 font-medium dark:bg-sky-900' : 'text-slate-500'}`}
            >
              {label}
            </button>
          ))}
          {shown === 'generated' && (
            <button
              type="button"
              className="ml-auto px-2 py-1 text-slate-500 hover:text-slate-900 dark:hover:text-slate-100"
              onClick={() => void navigator.clipboard.writeText(models.current?.generated.getValue() ?? '')}
            >
              Copy
            </button>
          )}
        </div>
      )}
      <div ref={host} className="min-h-[20rem] w-full flex-1" data-testid="editor" data-tab={shown} />
    </div>
  );
}
