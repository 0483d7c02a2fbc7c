import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { AdminClient } from '../../client/index.js';
import type { AuditCaller } from '../gate/audit.js';
import type { ElicitAnswer } from '../gate/gate.js';
import type { Effect, Toolset } from '../../../tools/define.js';
import type { ToolResult } from '../results/results.js';
import type { ListingMode } from '../listing/selection.js';


/** What an MCP transport needs from a server: its instructions, its tool list and a way to call a tool. */
export interface Host {
  readonly instructions: string;
  /** How `tools/list` is answered (see selection.ts). */
  readonly mode: ListingMode;
  listTools(): Tool[];
  /** A tools/list answer is on its way to the client: a host that loads lazily starts loading now. */
  onListed?(): void;
  call(name: string, args: unknown, session?: CallSession): Promise<ToolResult>;
  /** Every tool this host can call, with its policy facts, whatever the listing shows. */
  entries(): ReadonlyArray<{ tool: Tool; toolset: Toolset; effect: Effect; endpoint?: string }>;
  /** The instructions for a narrower view of this host (an HTTP session that asked for less). */
  instructionsFor(view: { toolsets: ReadonlySet<Toolset>; readOnly: boolean; mode: ListingMode }): string;
}

/** What a call brings from its connection: cancellation, and a way to ask the human if the client has one. */
export interface CallSession {
  signal?: AbortSignal;
  /** A client for this call only (an admin key taken from the request); names are then not cached. */
  client?: AdminClient;
  elicit?: (message: string) => Promise<ElicitAnswer>;
  /** Sends the person to a URL (URL-mode elicitation) when the client can; the approval page uses it. */
  elicitUrl?: (message: string, url: string, id: string) => Promise<ElicitAnswer>;
  /** Tells the client a URL elicitation is complete. */
  elicitationComplete?: (id: string) => void;
  /** Reports progress (windows done of total) when the request carried a progress token. */
  progress?: (done: number, total: number) => void;
  /** Who is calling, for the audit log; absent means `local` (stdio, `call`). */
  caller?: AuditCaller;
  /** The HTTP session, for the audit log. */
  sessionId?: string;
  /**
   * Whether this caller may see a tool at all (a person's grant over OAuth). search_tools and
   * describe_tool show only those, as the listing does; absent means every tool.
   */
  visible?: (tool: string) => boolean;
  /**
   * Why this caller may not call a tool (a person's grant over OAuth), or undefined when they may.
   * Asked where every tool call is dispatched, `call_tool` included, so a refused write is audited
   * with its caller like a refusal of `--read-only`.
   */
  permit?: (tool: string, args: unknown, via?: 'script') => string | undefined;
  /** Set on the calls a script makes (run_script): its id and the call's number, for the audit log. */
  script?: { id: string; call: number };
}

/**
 * A host that hands everything to another one; wrappers override what they change (most only `call`).
 * Forwarding `onListed` too keeps a lazily loading host loading when it is wrapped.
 */
export abstract class DelegatingHost implements Host {
  constructor(protected readonly base: Host) {}

  get instructions(): string {
    return this.base.instructions;
  }

  get mode(): ListingMode {
    return this.base.mode;
  }

  instructionsFor(view: Parameters<Host['instructionsFor']>[0]): string {
    return this.base.instructionsFor(view);
  }

  listTools(): Tool[] {
    return this.base.listTools();
  }

  onListed(): void {
    this.base.onListed?.();
  }

  entries(): ReturnType<Host['entries']> {
    return this.base.entries();
  }

  call(name: string, args: unknown, session?: CallSession): Promise<ToolResult> {
    return this.base.call(name, args, session);
  }
}

/** A host whose calls carry who is calling, for the audit log. */
export class AttributedHost extends DelegatingHost {
  constructor(
    base: Host,
    private readonly caller: AuditCaller,
    private readonly sessionId?: string,
  ) {
    super(base);
  }

  override call(name: string, args: unknown, session: CallSession = {}): Promise<ToolResult> {
    return this.base.call(name, args, { ...session, caller: this.caller, sessionId: this.sessionId });
  }
}
