import { useEffect } from 'react';
import { COMFORTABLE_LINK, decodePermalink, encodePermalink, traceToMarkdown } from '../share';
import { requestSlice } from './engine';
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

/** Puts the current trace in the address bar (and on the clipboard when the browser allows). */
export async function shareCurrentTrace(): Promise<void> {
  const { dumpText, context, packet, pathIndex, step, setNotice, input, kubeOptions } = useAppStore.getState();
  const yaml = input.kind === 'kube-yaml';
  const link = (text: string, asDump: boolean) =>
    `${window.location.origin}${window.location.pathname}#${encodePermalink({
      kind: asDump ? 'iptables-save' : input.kind,
      text,
      ...(asDump || !yaml ? {} : { kube: kubeOptions }),
      context,
      packet,
      path: pathIndex,
      step,
    })}`;
  let url = link(dumpText, false);
  let sliced = false;
  if (url.length > COMFORTABLE_LINK) {
    // Too long for a ticket or a chat: share only the chains this trace walks (a valid dump that walks it the same way).
    const slice = await requestSlice().catch(() => null);
    if (slice) {
      const shorter = link(slice, true);
      if (shorter.length < url.length) {
        url = shorter;
        sliced = true;
      }
    }
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
  const what = sliced
    ? 'it holds only the chains this trace walks, as a valid dump, with the node, the packet, the path and the step'
    : `it holds the ${yaml ? 'YAML and kube-proxy’s options' : 'dump'}, the node, the packet, the path and the step`;
  setNotice(
    `Link ${where}, ${size}: ${what}. Nothing was sent anywhere.${url.length > COMFORTABLE_LINK ? ' It is still long for most tickets and chats: “Copy as Markdown” gives a shorter record.' : ''}`,
  );
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
