import { useEffect, useRef } from 'react';
import { LANGUAGE, monaco } from './monaco';
import { useAppStore } from './store';

// The dump in Monaco: edits go to the store (the worker re-parses), diagnostics come back as
// markers, and the rule of the current step is highlighted and scrolled into view.

export default function EditorPane() {
  const host = useRef<HTMLDivElement>(null);
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const setDumpText = useAppStore((s) => s.setDumpText);
  const dumpText = useAppStore((s) => s.dumpText);
  const diagnostics = useAppStore((s) => s.diagnostics);
  const line = useAppStore((s) => {
    const e = s.result?.paths[s.pathIndex]?.events[s.step];
    return e && e.ruleId !== null ? (s.ruleTexts[e.ruleId]?.line ?? null) : null;
  });
  const decorations = useRef<monaco.editor.IEditorDecorationsCollection | null>(null);

  useEffect(() => {
    if (!host.current) return;
    const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
    const editor = monaco.editor.create(host.current, {
      value: useAppStore.getState().dumpText,
      language: LANGUAGE,
      theme: dark ? 'vs-dark' : 'vs',
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
      clearTimeout(timer);
      // The latest edit wins: the worker drops stale parses anyway.
      timer = setTimeout(() => setDumpText(editor.getValue()), 120);
    });
    return () => {
      clearTimeout(timer);
      sub.dispose();
      editor.dispose();
      editorRef.current = null;
    };
  }, [setDumpText]);

  // A dump replaced from outside (a permalink): load it without echoing it back.
  useEffect(() => {
    const editor = editorRef.current;
    if (editor && editor.getValue() !== dumpText) editor.setValue(dumpText);
  }, [dumpText]);

  useEffect(() => {
    const model = editorRef.current?.getModel();
    if (!model) return;
    monaco.editor.setModelMarkers(
      model,
      'chainwalk',
      diagnostics.map((d) => ({
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
  }, [diagnostics]);

  useEffect(() => {
    const editor = editorRef.current;
    if (!editor || !decorations.current) return;
    if (line === null) {
      decorations.current.clear();
      return;
    }
    decorations.current.set([
      { range: new monaco.Range(line, 1, line, 1), options: { isWholeLine: true, className: 'cw-current-rule' } },
    ]);
    editor.revealLineInCenterIfOutsideViewport(line);
  }, [line]);

  return <div ref={host} className="h-full min-h-[28rem] w-full" data-testid="editor" />;
}
