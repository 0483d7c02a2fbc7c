import { randomBytes } from 'node:crypto';
import type { AuditCaller, AuditSink, ApprovalStamp } from './audit.js';
import { digest } from './confirm.js';
import type { ApprovalStore, ConfirmationStore } from './confirmation-store.js';
import type { Effect } from '../../../tools/define.js';
import type { ElicitAnswer } from './confirm.js';
import { approvalRulesFor, approverRefusal, type ApprovalRule, type Person, type Policy } from '../access/policy.js';

/*
 * Approvals (`--confirm-with approval`, PRODUCT.md §5): a call the policy's `approvals` rules cover
 * is not confirmed by a token the model can hand back, nor by a client's dialog, but by a person who
 * signs in on this server's approval page (approval-page.ts) with the team's issuer.
 *
 * An approval is a record in the confirmation store, so that with `--store redis://…` any replica
 * serves its page and its call. It is bound to the call's tool and arguments (for a plan, its
 * arguments; the plan itself is bound through the state digest), to the requester, and to the
 * state of every target as the preview read it. Its decision is written once (the first approve or
 * reject wins); executing it claims it in the store, so it executes once; it expires.
 */

export const APPROVAL_TTL_MS = 15 * 60 * 1000;

export type ApprovalEvent = 'requested' | 'approved' | 'rejected' | 'expired';

/** Counts approvals as they are requested and decided (the HTTP server's /metrics). */
export interface ApprovalObserver {
  approval(event: ApprovalEvent): void;
}

/** A record outlives its expiry by this long, so a late call or visit hears "expired", not "unknown". */
const KEPT_AFTER_EXPIRY_MS = 60 * 60 * 1000;
/** How often a call waiting on an approval (after URL elicitation) looks for the decision. */
const POLL_MS = 250;

export interface ApprovalRecord {
  id: string;
  tool: string;
  effect: Effect;
  /** Digest of the arguments the call was made with. */
  bound: string;
  /** The arguments, as the page and the audit show them. */
  arguments: Record<string, unknown>;
  /** Digest of what the preview read (a target, or a plan with its targets); null when nothing was read. */
  state: string | null;
  /** Targets the page reads again to tell the approver when one changed: path and state digest. */
  checks: TargetCheck[];
  /** Exactly the text of the preview the approval is for. */
  preview: string;
  requester: { sub: string; email?: string };
  requested_at: number;
  expires_at: number;
  /** The rules that matched when it was requested, so every replica judges approvers alike. */
  rules: ApprovalRule[];
  /** The store's epoch when requested: its single-use claim is made under it. */
  epoch: string;
}

export interface TargetCheck {
  path: string;
  digest: string;
}

export interface ApprovalDecision {
  verdict: 'approved' | 'rejected';
  by: { sub: string; email?: string };
  at: number;
}

export interface LoadedApproval {
  record: ApprovalRecord;
  decision?: ApprovalDecision;
  expired: boolean;
}

export interface ApprovalsOptions {
  store: ConfirmationStore & ApprovalStore;
  policy: Policy;
  /** The origin people reach this server at (from --oauth-audience): the page's links are under it. */
  origin: string;
  ttlMs?: number;
  audit?: AuditSink;
  observer?: ApprovalObserver;
  now?: () => number;
  /** Reads a target for the page (its state, or null when it is gone); absent when the server holds no admin key. */
  read?: (path: string) => Promise<unknown>;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

export class Approvals {
  readonly ttlMs: number;
  readonly policy: Policy;
  private readonly now: () => number;

  constructor(private readonly options: ApprovalsOptions) {
    this.ttlMs = options.ttlMs ?? APPROVAL_TTL_MS;
    this.policy = options.policy;
    this.now = options.now ?? Date.now;
  }

  /** The rules a call matches; empty when it needs no approval. */
  rulesFor(tool: { name: string; effect: Effect; toolset: string }): ApprovalRule[] {
    return approvalRulesFor(this.policy, tool);
  }

  url(id: string): string {
    return `${this.options.origin}/approvals/${id}`;
  }

  get origin(): string {
    return this.options.origin;
  }

  get store(): ConfirmationStore & ApprovalStore {
    return this.options.store;
  }

  clock(): number {
    return this.now();
  }

  async request(input: Omit<ApprovalRecord, 'id' | 'requested_at' | 'expires_at' | 'epoch'>): Promise<ApprovalRecord> {
    const now = this.now();
    const record: ApprovalRecord = {
      ...input,
      id: `apr_${randomBytes(18).toString('base64url')}`,
      requested_at: now,
      expires_at: now + this.ttlMs,
      epoch: await this.options.store.epoch(),
    };
    await this.options.store.putApproval(record.id, JSON.stringify(record), this.ttlMs + KEPT_AFTER_EXPIRY_MS);
    this.options.observer?.approval('requested');
    return record;
  }

  async load(id: string): Promise<LoadedApproval | undefined> {
    if (!isApprovalId(id)) return undefined;
    const found = await this.options.store.getApproval(id);
    if (!found) return undefined;
    const record = JSON.parse(found.record) as ApprovalRecord;
    const decision = found.decision === undefined ? undefined : (JSON.parse(found.decision) as ApprovalDecision);
    return { record, ...(decision ? { decision } : {}), expired: this.now() > record.expires_at };
  }

  /** Whether a target the approval is bound to changed since the preview; undefined when this server cannot read them. */
  async changed(record: ApprovalRecord): Promise<boolean | undefined> {
    const read = this.options.read;
    if (!read || record.checks.length === 0) return record.checks.length === 0 ? false : undefined;
    try {
      const now = await Promise.all(record.checks.map(async (c) => digest(await read(c.path)) === c.digest));
      return now.some((same) => !same);
    } catch {
      // Unknown here; the call reads every target again under its lock before anything is sent.
      return undefined;
    }
  }

  /**
   * Approves or rejects, once. Refused when the approval is unknown, expired or decided, when the
   * person is not one of its approvers (or asked for it, under `distinct`), and, for an approval,
   * when a target changed since the preview. Every refusal and decision is audited.
   */
  async decide(id: string, verdict: ApprovalDecision['verdict'], person: Person): Promise<Verdict> {
    const loaded = await this.load(id);
    if (!loaded) return { ok: false, reason: 'there is no such approval (it may have aged out)' };
    const { record } = loaded;
    const refuse = (reason: string): Verdict => {
      this.audit(record, 'refused', person, { decision: `approval_${verdict}_refused`, message: reason });
      return { ok: false, reason };
    };
    if (loaded.decision) return refuse(`it was already ${loaded.decision.verdict} by ${who(loaded.decision.by)}`);
    if (loaded.expired) {
      await this.expired(record);
      return refuse(`it expired at ${new Date(record.expires_at).toISOString()}; the requester can ask again`);
    }
    const why = approverRefusal(this.policy, record.rules, person, record.requester);
    if (why) return refuse(why);
    if (verdict === 'approved' && (await this.changed(record)) === true) {
      return refuse('a target changed since the preview, so this approval could not execute; the requester must call again to preview the current state');
    }
    const decision: ApprovalDecision = { verdict, by: { sub: person.sub, ...(person.email && person.emailVerified ? { email: person.email } : {}) }, at: this.now() };
    const first = await this.options.store.decideApproval(id, JSON.stringify(decision), record.expires_at - this.now() + KEPT_AFTER_EXPIRY_MS);
    if (!first) {
      const again = await this.load(id);
      return { ok: false, reason: `it was already ${again?.decision?.verdict ?? 'decided'}${again?.decision ? ` by ${who(again.decision.by)}` : ''}` };
    }
    this.options.observer?.approval(verdict);
    this.audit(record, verdict, person, { decision: `approval_${verdict}`, approval: stamp(record, decision) });
    return { ok: true };
  }

  /** Audits and counts an expiry the first time anyone meets it. */
  async expired(record: ApprovalRecord): Promise<void> {
    const first = await this.options.store.claim(`approval-expired:${record.id}`, KEPT_AFTER_EXPIRY_MS, record.epoch).catch(() => 'used');
    if (first !== 'claimed') return;
    this.options.observer?.approval('expired');
    this.audit(record, 'expired', undefined, { decision: 'approval_expired', message: `approval ${record.id} expired at ${new Date(record.expires_at).toISOString()} without being used` });
  }

  /** Waits for a decision until `until` (ms) or the signal; the approval as it stands then. */
  async waitForDecision(id: string, until: number, signal?: AbortSignal): Promise<LoadedApproval | undefined> {
    for (;;) {
      const loaded = await this.load(id);
      if (!loaded || loaded.decision || loaded.expired || this.now() >= until || signal?.aborted) return loaded;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, POLL_MS);
        function done() {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        }
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  private audit(record: ApprovalRecord, outcome: 'approved' | 'rejected' | 'expired' | 'refused', person: Person | undefined, extra: { decision: string; message?: string; approval?: ApprovalStamp }): void {
    try {
      this.options.audit?.record({
        attempt: randomBytes(6).toString('hex'),
        phase: 'final',
        tool: record.tool,
        effect: record.effect,
        arguments: record.arguments,
        outcome,
        ...extra,
        approval: extra.approval ?? { id: record.id, requester: caller(record.requester), requested_at: iso(record.requested_at) },
        caller: person ? caller({ sub: person.sub, ...(person.email && person.emailVerified ? { email: person.email } : {}) }) : 'approval-expiry',
      });
    } catch {
      // The page's decision stands in the store; the call that uses it audits again, and fails closed.
    }
  }
}

/** The audit stamp of an approval: who asked and who decided, with times. */
export function stamp(record: ApprovalRecord, decision?: ApprovalDecision): ApprovalStamp {
  return {
    id: record.id,
    requester: caller(record.requester),
    requested_at: iso(record.requested_at),
    ...(decision ? { approver: caller(decision.by), decided_at: iso(decision.at) } : {}),
  };
}

export function isApprovalId(value: string): boolean {
  return /^apr_[A-Za-z0-9_-]{24}$/.test(value);
}

const iso = (ms: number) => new Date(ms).toISOString();
const caller = (p: { sub: string; email?: string }): AuditCaller => ({ sub: p.sub, ...(p.email ? { email: p.email } : {}) });
const who = (p: { sub: string; email?: string }) => p.email ?? `subject ${p.sub}`;

/** What one call brings to the gate when the policy says it needs approval. */
export interface CallApproval {
  approvals: Approvals;
  rules: ApprovalRule[];
  effect: Effect;
  requester: { sub: string; email?: string };
  /** URL-mode elicitation (MCP 2025-11-25), when the client offers it. */
  elicitUrl?: (message: string, url: string, id: string) => Promise<ElicitAnswer>;
  /** Tells the client the URL elicitation is complete (`notifications/elicitation/complete`). */
  complete?: (id: string) => void;
}
