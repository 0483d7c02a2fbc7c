import { expect } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import { allComposites } from '../../src/reports/index.js';
import type { ToolHost } from '../../src/server/hosts/tool-host.js';
import { structured, text } from '../connect.js';
import { testHost } from '../host.js';

/** The clock every report test runs on: Monday 2026-11-23 12:00 UTC (sandbox and server alike). */
export const NOW = Date.UTC(2026, 10, 23, 12) / 1000;
export const DAY = 86_400;
/** 00:00 UTC of NOW's day. */
export const TODAY = Math.floor(NOW / DAY) * DAY;

/** A server host with the report tools, on an injectable clock (milliseconds). */
export function hostFor(client: AdminClient, now: () => number = () => NOW * 1000): ToolHost {
  return testHost(client, { composites: allComposites, now });
}

/** Calls a tool that must succeed and returns its structured content. */
export async function ok<T = Record<string, unknown>>(host: ToolHost, name: string, args: Record<string, unknown>): Promise<T> {
  const result = await host.call(name, args);
  expect(result.isError, text(result)).toBeFalsy();
  return structured<T>(result);
}

/** Calls a tool that must fail and returns its error text. */
export async function refused(host: ToolHost, name: string, args: Record<string, unknown>): Promise<string> {
  const result = await host.call(name, args);
  expect(result.isError, text(result)).toBe(true);
  return text(result);
}

export { structured, text };
