/*
 * Its own leaf so that the name directory (names.ts), which report.ts's context carries, can throw it
 * without importing report.ts back.
 */

/** A mistake the caller can fix (an ambiguous or unknown name, an empty period): reported as is. */
export class ReportError extends Error {
  override readonly name = 'ReportError';
}
