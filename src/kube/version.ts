// kube-proxy release → the rule layout it writes (proxier.ts ProxierLayout). The changes that
// draw the lines (see /work/shared/notes/kube-proxy-layout.md §5):
//   1.24  PR #109060 "Kube proxy rule reorg XLB->EXT": KUBE-EXT and KUBE-SVL replace KUBE-XLB.
//   1.25  PR #110289 / #110290 (KEP-3178): no more KUBE-MARK-DROP; KUBE-PROXY-FIREWALL and filter DROPs.
import type { ProxierLayout } from './proxier';

export interface VersionLayout {
  layout: ProxierLayout;
  /** The version as read (`1.24`), or null when the text is not a version. */
  version: { major: number; minor: number } | null;
  /** Why the layout is only close to what that release wrote, if it is. */
  caveat: string | null;
}

/** `1.24`, `v1.24.3`, `1.23.0-rc.1` → the layout of that release. */
export function layoutForVersion(text: string): VersionLayout {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(text.trim());
  if (!m) return { layout: 'current', version: null, caveat: null };
  const version = { major: Number(m[1]), minor: Number(m[2]) };
  if (version.major !== 1) return { layout: 'current', version, caveat: null };
  if (version.minor >= 25) return { layout: 'current', version, caveat: null };
  if (version.minor === 24) return { layout: '1.24', version, caveat: null };
  if (version.minor >= 20) return { layout: 'legacy', version, caveat: null };
  return {
    layout: 'legacy',
    version,
    caveat: `kube-proxy ${version.major}.${version.minor} is written as 1.23 wrote its rules; releases before 1.20 differed in details (a one-rule KUBE-POSTROUTING, masquerading in KUBE-SERVICES, 5-decimal probabilities)`,
  };
}

/** The layouts by name, for `--layout`. */
export const LAYOUTS: readonly ProxierLayout[] = ['current', '1.24', 'legacy'];
