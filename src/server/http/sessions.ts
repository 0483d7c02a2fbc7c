/*
 * The live Streamable HTTP sessions of one server, with the limits that keep one client from
 * locking everyone else out (README, "Serving over HTTP"): a quota per credential and a global cap, both met by
 * closing the least recently used idle session rather than refusing the newcomer, and expiry of
 * sessions that went idle, sooner for those that never made a request after `initialize`.
 */

export interface SessionLimits {
  /** A session that made a request and then nothing for this long is closed. */
  idleMs: number;
  /** A session that made no request after `initialize` is closed this long after it began. */
  unusedMs: number;
  /** Live sessions one credential may hold. */
  perCredential: number;
  /** Live sessions in all. */
  total: number;
}

/** The defaults: 30 minutes idle, 5 minutes unused, 100 sessions per credential, 1,000 in all. */
export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleMs: 30 * 60_000, unusedMs: 5 * 60_000, perCredential: 100, total: 1000 };

/** What the table needs of a session's transport. */
export interface Closable {
  close(): Promise<void>;
}

interface Session<T extends Closable> {
  transport: T;
  /** A keyed hash of the credential that opened it; never the credential itself. */
  credential: string;
  createdAt: number;
  lastSeen: number;
  /** It made a request (anything but `initialize`). */
  used: boolean;
  /** Requests being answered now; a busy session is never closed for idleness or to make room. */
  busy: number;
}

export type Admission = { ok: true } | { ok: false; reason: string };

export class SessionTable<T extends Closable> {
  /** In least recently used order: touching a session moves it to the end. */
  private readonly sessions = new Map<string, Session<T>>();

  constructor(
    private readonly limits: SessionLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  transport(id: string): T | undefined {
    return this.sessions.get(id)?.transport;
  }

  /** The keyed hash of the credential that opened the session. */
  credential(id: string): string | undefined {
    return this.sessions.get(id)?.credential;
  }

  add(id: string, transport: T, credential: string): void {
    const at = this.now();
    this.sessions.set(id, { transport, credential, createdAt: at, lastSeen: at, used: false, busy: 0 });
  }

  /** Forgets a session its transport closed (DELETE, or the client went away). */
  remove(id: string): void {
    this.sessions.delete(id);
  }

  /**
   * Marks activity on a session: it becomes the most recently used, and `request` says whether the
   * message was a request (which makes the session used) rather than a notification or a GET.
   */
  touch(id: string, request: boolean): void {
    const session = this.sessions.get(id);
    if (!session) return;
    session.lastSeen = this.now();
    session.used ||= request;
    this.sessions.delete(id);
    this.sessions.set(id, session);
  }

  /** A request on this session starts; the returned function ends it (call it once). */
  begin(id: string): () => void {
    const session = this.sessions.get(id);
    if (!session) return () => {};
    session.busy += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      session.busy -= 1;
      // A long call is activity: its session's idle time starts when the answer has gone.
      if (this.sessions.get(id) === session) this.touch(id, false);
    };
  }

  /** Closes every session past its idle or unused deadline. */
  sweep(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) {
      if (session.busy > 0) continue;
      const expired = session.used ? now - session.lastSeen >= this.limits.idleMs : now - session.createdAt >= this.limits.unusedMs;
      if (expired) this.close(id);
    }
  }

  /**
   * Makes room for a new session of this credential. At the credential's quota, or at the global
   * cap, the least recently used idle session (of that credential, or of anyone) is closed; only
   * when every session in the way is busy answering a request is the newcomer refused.
   */
  admit(credential: string): Admission {
    this.sweep();
    const own = [...this.sessions.values()].filter((s) => s.credential === credential).length;
    if (own >= this.limits.perCredential && !this.evict((s) => s.credential === credential)) {
      return { ok: false, reason: `This credential has ${own} open sessions, all busy answering requests; close one (DELETE /mcp) or try again when a call has finished.` };
    }
    if (this.sessions.size >= this.limits.total && !this.evict(() => true)) {
      return { ok: false, reason: `The server has ${this.sessions.size} open sessions, all busy answering requests; try again when a call has finished.` };
    }
    return { ok: true };
  }

  async closeAll(): Promise<void> {
    const transports = [...this.sessions.values()].map((s) => s.transport);
    this.sessions.clear();
    await Promise.all(transports.map((t) => t.close()));
  }

  /**
   * Closes the least recently used idle session that `matches`. Sessions that never made a request
   * go first: a flood of bare `initialize` requests then evicts itself, not the clients at work.
   */
  private evict(matches: (s: Session<T>) => boolean): boolean {
    const idle = [...this.sessions].filter(([, s]) => s.busy === 0 && matches(s));
    const victim = idle.find(([, s]) => !s.used) ?? idle[0];
    if (!victim) return false;
    this.close(victim[0]);
    return true;
  }

  private close(id: string): void {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    void session.transport.close();
  }
}
