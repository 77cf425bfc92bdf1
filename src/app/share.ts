import { useEffect } from 'react';
import { COMFORTABLE_LINK, decodePermalink, encodePermalink, type ShareStateV1, traceToMarkdown } from '../share';
import { requestSlice } from './engine';
import { downloadTraceFile, TRACE_FILE_NAME } from './files';
import { useAppStore } from './store';

/** Opens the trace a permalink holds (on load and when the fragment changes); a bad link says why and keeps the sample. */
export function usePermalink(): void {
  const restore = useAppStore((s) => s.restore);
  const setNotice = useAppStore((s) => s.setNotice);
  useEffect(() => {
    const open = () => {
      const fragment = window.location.hash;
      if (fragment.length <= 1) return;
      const r = decodePermalink(fragment);
      if (r.ok) {
        restore(r.state);
        setNotice(null);
      } else setNotice(`${r.message} The built-in sample is shown instead.`);
    };
    open();
    window.addEventListener('hashchange', open);
    return () => window.removeEventListener('hashchange', open);
  }, [restore, setNotice]);
}

/**
 * A text this long cannot make a comfortable link (iptables text deflates about 10:1, and base64
 * adds a third): don't spend a long main-thread task compressing it, offer the file at once.
 */
const HOPELESS_LINK_TEXT = 40 * COMFORTABLE_LINK;

/**
 * Puts the current trace in the address bar (and on the clipboard when the browser allows). A link
 * that would be too long holds only the chains the trace walks; if even that is too long, the
 * trace is downloaded as a trace file to drop back onto the page.
 */
export async function shareCurrentTrace(): Promise<void> {
  const { dumpText, bigDump, context, packet, pathIndex, step, setNotice, input, kubeOptions } = useAppStore.getState();
  const yaml = input.kind === 'kube-yaml' && !bigDump;
  // YAML travels as YAML with kube-proxy's options; a slice of it is the generated dump.
  const state = (text: string): ShareStateV1 => ({
    ...(yaml && text === dumpText ? { kind: 'kube-yaml', kube: kubeOptions } : { kind: 'iptables-save' }),
    text,
    context,
    packet,
    path: pathIndex,
    step,
  });
  const link = (text: string) => `${window.location.origin}${window.location.pathname}#${encodePermalink(state(text))}`;
  // A big dump is only in the worker: its slice is what can leave.
  let text: string | null = bigDump ? await requestSlice().catch(() => null) : dumpText;
  if (text === null) {
    setNotice('There is no trace to share yet: wait for the packet’s path to show.');
    return;
  }
  let sliced = bigDump !== null;
  let url = text.length > HOPELESS_LINK_TEXT ? null : link(text);
  if (!sliced && (url === null || url.length > COMFORTABLE_LINK)) {
    // Too long for a ticket or a chat: share only the chains this trace walks (a valid dump that walks it the same way).
    const slice = await requestSlice().catch(() => null);
    if (slice && slice.length < text.length) {
      text = slice;
      sliced = true;
      url = slice.length > HOPELESS_LINK_TEXT ? null : link(slice);
    }
  }
  const what = sliced
    ? 'only the chains this trace walks, as a valid dump, with the node, the packet, the path and the step'
    : `the ${yaml ? 'YAML and kube-proxy’s options' : 'dump'}, the node, the packet, the path and the step`;
  if (url === null || url.length > COMFORTABLE_LINK) {
    downloadTraceFile(state(text));
    const size = url === null ? '' : ` (${url.length.toLocaleString('en')} characters)`;
    setNotice(
      `A link would be too long${size} for a ticket or a chat, so the trace was downloaded as ${TRACE_FILE_NAME}: it holds ${what}. Drop it onto chainwalk to open the same trace. Nothing was sent anywhere.`,
    );
    return;
  }
  window.history.replaceState(null, '', url.slice(url.indexOf('#')));
  let copied = false;
  try {
    await navigator.clipboard.writeText(url);
    copied = true;
  } catch {
    // No clipboard permission (or not a secure context): the address bar has the link.
  }
  const size = `${url.length.toLocaleString('en')} characters`;
  const where = copied ? 'copied (and in the address bar)' : 'in the address bar';
  setNotice(`Link ${where}, ${size}: it holds ${what}. Nothing was sent anywhere.`);
}

/** The chosen path as Markdown for a ticket: on the clipboard, or offered as a file. */
export async function copyTraceMarkdown(): Promise<void> {
  const { packet, result, pathIndex, ruleTexts, setNotice } = useAppStore.getState();
  if (!result) return;
  const markdown = traceToMarkdown(packet, result, pathIndex, ruleTexts);
  try {
    await navigator.clipboard.writeText(markdown);
    setNotice('The trace is on the clipboard as Markdown, ready for a ticket.');
  } catch {
    const url = URL.createObjectURL(new Blob([markdown], { type: 'text/markdown' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'chainwalk-trace.md';
    a.click();
    URL.revokeObjectURL(url);
    setNotice('The clipboard is not available here: the trace was downloaded as chainwalk-trace.md.');
  }
}
