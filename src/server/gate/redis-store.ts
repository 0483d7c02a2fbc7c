import { createHash, randomBytes } from 'node:crypto';
import { createClient, TimeoutError } from '@redis/client';
import type { Logger } from '../../log.js';
import { LockBusyError, StoreUnavailableError, type ApprovalStore, type Claim, type ConfirmationStore, type HeldLock } from './confirmation-store.js';

/*
 * The confirmation store on Redis (`--store redis://…`), shared by replicas so that a token executes
 * once across all of them. Loaded only when --store is set: a server without it never pays for the
 * client.
 *
 * - epoch: a random value under one key with no expiry, written by the first replica that needs it
 *   and carried in every token. If Redis loses its data the key goes too, and the next use writes a
 *   new one: tokens issued before are refused, never replayed (README, "Replicas").
 * - claim: one script that checks the epoch and does SET NX PX. Redis runs each script alone, so of
 *   any number of replicas claiming one nonce at once exactly one gets it; the key expires with the
 *   token, and a token of another epoch claims nothing.
 * - lock: SET NX PX with a random token, retried until free. The holder renews it while it holds it
 *   and releases it with a compare-and-delete script, so a holder whose lock expired (a process that
 *   stalled) can never delete the next holder's. A crashed holder's lock frees itself after LOCK_TTL_MS.
 *   Just before its request goes out, the holder proves the lock is still its own and extends it over
 *   the request's whole deadline (`keepFor`): from then on no pause of Redis or of the holder can let
 *   it lapse while the request may still be running, and a holder that cannot prove it sends nothing.
 *
 * Fail closed: the client queues nothing while disconnected and every command has a deadline
 * (COMMAND_TIMEOUT_MS, from sending to the answer), so an unreachable or stalled Redis turns into a
 * StoreUnavailableError rather than a hung confirmation.
 */

/**
 * How long a lock outlives a holder that stopped renewing it (crashed or cut off from Redis): the
 * time a target stays blocked after its replica died mid-confirmation. Renewed three times per TTL,
 * so only a process stalled for seconds loses a lock it still uses.
 */
export const LOCK_TTL_MS = 6_000;
const RENEW_EVERY_MS = LOCK_TTL_MS / 6;
/** A command that gets no answer in this long counts as the store being unreachable. */
export const COMMAND_TIMEOUT_MS = 2_000;
/**
 * How long a confirmation waits for a held lock before it gives up, unless `lockWaitMs`
 * (`--store-lock-wait`) says otherwise. A lock kept for a request in flight lasts up to that
 * request's deadline (minutes) if its holder died, so waiting is bounded.
 */
export const LOCK_WAIT_MS = 30_000;
/** Waiting for a held lock: polls start at this delay and back off to the maximum. */
const POLL_MIN_MS = 5;
const POLL_MAX_MS = 100;

const PREFIX = 'openai-admin-mcp:';

const EPOCH_KEY = `${PREFIX}epoch`;

const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
/** The epoch, or ARGV[1] written as the epoch when there is none. */
const EPOCH = "local e = redis.call('get', KEYS[1]) if e then return e end redis.call('set', KEYS[1], ARGV[1]) return ARGV[1]";
/** -1: the epoch is not ARGV[1]; 1: claimed; 0: already used. */
const CLAIM = `if redis.call('get', KEYS[1]) ~= ARGV[1] then return -1 end
if redis.call('set', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then return 1 end
return 0`;
/**
 * Keeps the lock KEYS[1] of owner ARGV[1] for at least ARGV[2] ms (never shortens it). 1: kept; 0:
 * the lock is gone or someone else's. With ARGV[3] = '1' (a request in flight) a lock that is gone
 * is taken again (2): its key can only have vanished with the store's data, while the request it
 * guards may still be running.
 */
const EXTEND = `local v = redis.call('get', KEYS[1])
if v == ARGV[1] then
  if redis.call('pttl', KEYS[1]) < tonumber(ARGV[2]) then redis.call('pexpire', KEYS[1], ARGV[2]) end
  return 1
end
if not v and ARGV[3] == '1' then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0`;

export interface RedisStoreOptions {
  url: string;
  logger: Logger;
  /** How long `lock` waits for a lock someone else holds, ms (default LOCK_WAIT_MS). */
  lockWaitMs?: number;
}

export class RedisConfirmationStore implements ConfirmationStore, ApprovalStore {
  private readonly client;
  /** The URL without credentials, for messages and logs. */
  readonly where: string;
  private lastError = 'not connected yet';
  private warnedAt = 0;

  constructor(private readonly options: RedisStoreOptions) {
    this.where = withoutCredentials(options.url);
    this.client = createClient({
      url: options.url,
      // Nothing waits in a queue for a Redis that is gone: the confirmation is refused instead.
      disableOfflineQueue: true,
      commandOptions: { timeout: COMMAND_TIMEOUT_MS },
      socket: { connectTimeout: COMMAND_TIMEOUT_MS, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2_000) },
    });
    this.client.on('error', (error: Error) => {
      this.lastError = error.message || error.name;
      // Reconnection retries every 2 s at most; one warning a minute is enough to be seen.
      if (Date.now() - this.warnedAt > 60_000) {
        this.warnedAt = Date.now();
        options.logger.warn('confirmation store unreachable; destructive confirmations are refused until it is back', { store: this.where, error: this.lastError });
      }
    });
    this.client.on('ready', () => {
      if (this.warnedAt !== 0) options.logger.info('confirmation store reachable again', { store: this.where });
      this.warnedAt = 0;
    });
    // Connects in the background: a server whose store is down still starts and serves reads.
    this.client.connect().catch((error: Error) => {
      this.lastError = error.message || error.name;
    });
  }

  async epoch(): Promise<string> {
    return this.command<string>(['EVAL', EPOCH, '1', EPOCH_KEY, randomBytes(12).toString('base64url')]);
  }

  async claim(nonce: string, ttlMs: number, epoch: string): Promise<Claim> {
    const reply = await this.command<number>(['EVAL', CLAIM, '2', EPOCH_KEY, `${PREFIX}nonce:${nonce}`, epoch, String(Math.max(1, Math.ceil(ttlMs)))]);
    return reply === 1 ? 'claimed' : reply === -1 ? 'stale_epoch' : 'used';
  }

  async lock(key: string, signal?: AbortSignal): Promise<HeldLock> {
    // Hashed so that a key of any length and content is one short Redis key.
    const redisKey = `${PREFIX}lock:${createHash('sha256').update(key).digest('base64url')}`;
    const token = randomBytes(16).toString('base64url');
    let delay = POLL_MIN_MS;
    const waitMs = this.options.lockWaitMs ?? LOCK_WAIT_MS;
    const giveUpAt = Date.now() + waitMs;
    for (;;) {
      signal?.throwIfAborted();
      const reply = await this.command<string | null>(['SET', redisKey, token, 'NX', 'PX', String(LOCK_TTL_MS)]);
      if (reply === 'OK') break;
      if (Date.now() > giveUpAt) {
        const left = await this.command<number>(['PTTL', redisKey]).catch(() => -1);
        throw new LockBusyError(
          `another confirmation of this target has held its lock for over ${waitMs / 1000} s${left > 0 ? ` (it frees itself within ${Math.ceil(left / 1000)} s at most)` : ''}: its request is still running, or the replica sending it stopped and the lock waits out that request's deadline`,
        );
      }
      await sleep(delay + Math.random() * delay, signal);
      delay = Math.min(delay * 2, POLL_MAX_MS);
    }
    return new RedisLock(redisKey, token, (args) => this.command(args), this.options.logger, this.where);
  }

  async putApproval(id: string, record: string, ttlMs: number): Promise<void> {
    await this.command(['SET', `${PREFIX}approval:${id}`, record, 'PX', String(Math.max(1, Math.ceil(ttlMs)))]);
  }

  async getApproval(id: string): Promise<{ record: string; decision?: string } | undefined> {
    const [record, decision] = await this.command<Array<string | null>>(['MGET', `${PREFIX}approval:${id}`, `${PREFIX}approval-decision:${id}`]);
    if (typeof record !== 'string') return undefined;
    return typeof decision === 'string' ? { record, decision } : { record };
  }

  /** SET NX: of any number of replicas deciding at once, exactly one writes the decision. */
  async decideApproval(id: string, decision: string, ttlMs: number): Promise<boolean> {
    const reply = await this.command<string | null>(['SET', `${PREFIX}approval-decision:${id}`, decision, 'NX', 'PX', String(Math.max(1, Math.ceil(ttlMs)))]);
    return reply === 'OK';
  }

  async close(): Promise<void> {
    if (this.client.isOpen) await this.client.close().catch(() => this.client.destroy());
    else this.client.destroy();
  }

  private async command<T>(args: string[]): Promise<T> {
    if (!this.client.isReady) {
      throw new StoreUnavailableError(`the confirmation store ${this.where} cannot be reached (${this.lastError})`);
    }
    // The client's own command timeout stops counting once the command is on the socket, so a
    // Redis that takes the bytes and never answers (paused, or cut off mid-connection) would hold
    // the call for ever: the deadline is kept here. An answer that comes later is read and dropped,
    // so the next reply still pairs with its own command.
    const sent = this.client.sendCommand(args);
    sent.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new TimeoutError()), COMMAND_TIMEOUT_MS);
    });
    try {
      return (await Promise.race([sent, deadline])) as T;
    } catch (error) {
      // The client's TimeoutError has no message: say which deadline ran out.
      const why = error instanceof TimeoutError ? `no answer within ${COMMAND_TIMEOUT_MS / 1000} s` : (error as Error).message || (error as Error).name;
      throw new StoreUnavailableError(`the confirmation store ${this.where} cannot be reached (${why})`);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * A held Redis lock. Renewed while held, so that it outlives its holder by at most LOCK_TTL_MS; a
 * renewal that finds the lock gone marks it lost, and a lost lock proves nothing (`keepFor` false).
 */
class RedisLock implements HeldLock {
  private released = false;
  private lost = false;
  /** Until when `keepFor` made sure the lock lives (ms since the epoch), 0 before. */
  private keptUntil = 0;
  private warnedUnreachable = false;
  private readonly renewal: NodeJS.Timeout;

  constructor(
    private readonly key: string,
    private readonly token: string,
    private readonly command: (args: string[]) => Promise<unknown>,
    private readonly logger: Logger,
    private readonly where: string,
  ) {
    this.renewal = setInterval(() => void this.renew(), RENEW_EVERY_MS);
    this.renewal.unref();
  }

  async keepFor(ms: number): Promise<boolean> {
    if (this.released || this.lost) return false;
    // Redis counts the expiry from when it runs the script, which is after this moment.
    const from = Date.now();
    const reply = await this.command(['EVAL', EXTEND, '1', this.key, this.token, String(Math.max(1, Math.ceil(ms))), '0']);
    if (reply !== 1) {
      this.lost = true;
      return false;
    }
    this.keptUntil = Math.max(this.keptUntil, from + ms);
    return !this.released;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    clearInterval(this.renewal);
    // If this fails the lock still frees itself when it expires.
    this.command(['EVAL', RELEASE, '1', this.key, this.token]).catch((error: Error) =>
      this.logger.warn('could not release a confirmation lock; it expires by itself', { store: this.where, error: error.message }),
    );
  }

  private async renew(): Promise<void> {
    if (this.released || this.lost) return;
    const inFlight = this.keptUntil > 0;
    const ms = Math.max(LOCK_TTL_MS, this.keptUntil - Date.now());
    try {
      const reply = await this.command(['EVAL', EXTEND, '1', this.key, this.token, String(Math.ceil(ms)), inFlight ? '1' : '0']);
      if (this.released) return;
      if (reply === 2) {
        this.logger.warn('a confirmation lock vanished from the store while its request was in flight (the store lost its data?); taken again', { store: this.where });
      } else if (reply !== 1) {
        this.lost = true;
        clearInterval(this.renewal);
        this.logger.warn(
          inFlight
            ? 'a confirmation lock was taken by another holder while its request was in flight'
            : 'a confirmation lock lapsed before its request was sent; that request will not be sent',
          { store: this.where },
        );
      }
    } catch (error) {
      // The store is unreachable: keepFor will fail the same way, and a lock already kept lives on.
      if (this.warnedUnreachable) return;
      this.warnedUnreachable = true;
      this.logger.warn('could not renew a confirmation lock', { store: this.where, error: (error as Error).message });
    }
  }
}

function withoutCredentials(raw: string): string {
  const url = new URL(raw);
  url.username = '';
  url.password = '';
  return url.toString().replace(/\/$/, '');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
