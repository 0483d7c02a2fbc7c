import type { CompositeTool } from '../server/registry.js';

/** The composite answer tools (spend_report, usage_report, access_review, find, audit_search). */
export const allComposites: readonly CompositeTool[] = [];
