import { accessReview } from './access.js';
import { spendAnomalies } from './anomalies.js';
import { auditSearch } from './audit.js';
import { find } from './find.js';
import type { CompositeTool } from './report.js';
import { spendReport } from './spend.js';
import { usageReport } from './usage.js';

export type { CompositeTool, ReportContext } from './report.js';
export { NameDirectory } from './names.js';

/** The composite answer tools: each answers a common question in one call. */
export const allComposites: readonly CompositeTool[] = [spendReport, usageReport, spendAnomalies, accessReview, find, auditSearch];
