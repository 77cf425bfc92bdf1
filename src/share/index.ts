// share: what leaves the page. In: the state of a trace; out: a permalink fragment (and back, bounded and validated).
export {
  COMFORTABLE_LINK,
  type DecodeResult,
  decodePermalink,
  encodePermalink,
  MAX_FRAGMENT,
  type ShareStateV1,
} from './permalink';
