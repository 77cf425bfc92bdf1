// share: what leaves the page. In: the state of a trace; out: a permalink fragment (and back, bounded and validated).

export {
  changedFields,
  explainIpvs,
  explainStep,
  type HeaderField,
  hostPort,
  IPSET_EXPLANATIONS,
  ipsetsOf,
  outcome,
  percent,
  ruleComment,
  sourceNatWord,
} from './explain';
export { type RuleLine, traceToMarkdown } from './markdown';
export {
  COMFORTABLE_LINK,
  type DecodeResult,
  decodePermalink,
  decodeTraceFile,
  encodePermalink,
  encodeTraceFile,
  MAX_FRAGMENT,
  MAX_TRACE_FILE,
  type ShareKubeOptions,
  type ShareStateV1,
} from './permalink';
export { type SliceOptions, sliceDump } from './slice';
