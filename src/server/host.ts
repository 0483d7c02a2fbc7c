import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { AdminClient } from '../client/index.js';
import type { Effect, Toolset } from './endpoint.js';
import type { ElicitAnswer } from './executor.js';
import type { ToolResult } from './results.js';

/** What an MCP transport needs from a server: its instructions, its tool list and a way to call a tool. */
export interface Host {
  readonly instructions: string;
  listTools(): Tool[];
  /** A tools/list answer is on its way to the client: a host that loads lazily starts loading now. */
  listed?(): void;
  call(name: string, args: unknown, session?: CallSession): Promise<ToolResult>;
  /** The tools this host exposes with their policy facts, whatever the listing mode. */
  entries(): ReadonlyArray<{ tool: Tool; toolset: Toolset; effect: Effect }>;
}

/** What a call brings from its connection: cancellation, and a way to ask the human if the client has one. */
export interface CallSession {
  signal?: AbortSignal;
  /** A client for this call only (an admin key taken from the request); names are then not cached. */
  client?: AdminClient;
  elicit?: (message: string) => Promise<ElicitAnswer>;
}

