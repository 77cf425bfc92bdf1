import type { Diagnostic, Severity } from '../model';

/** Collects diagnostics, keeping at most `perCode` of each code and counting the rest. */
export class DiagnosticSink {
  readonly list: Diagnostic[] = [];
  private readonly counts = new Map<string, number>();
  private readonly overflowAt = new Map<string, Diagnostic>();

  constructor(private readonly perCode = 50) {}

  add(severity: Severity, code: string, message: string, line: number, column: number, length: number): void {
    const n = (this.counts.get(code) ?? 0) + 1;
    this.counts.set(code, n);
    if (n <= this.perCode) {
      this.list.push({ severity, code, message, span: { line, column, length } });
    } else if (n === this.perCode + 1) {
      const d: Diagnostic = { severity, code, message: '', span: { line, column, length } };
      this.overflowAt.set(code, d);
      this.list.push(d);
    }
  }

  count(code: string): number {
    return this.counts.get(code) ?? 0;
  }

  /** Fills in the "…and N more" summaries; returns the list sorted by position. */
  finish(): Diagnostic[] {
    for (const [code, d] of this.overflowAt) {
      const more = (this.counts.get(code) ?? 0) - this.perCode;
      d.message = `…and ${more} more ${code} problem${more === 1 ? '' : 's'} like the ones above (first of them here)`;
    }
    return this.list.sort((a, b) => a.span.line - b.span.line || a.span.column - b.span.column);
  }
}
