import { Rng } from './rng.js';

/**
 * - `429` and `503` are answered before the request is processed: a retry is always safe.
 * - `500` is answered after the request was processed, like a gateway that lost the answer.
 * - `reset` drops the connection; for a write it is, by chance, before or after processing.
 */
export type FaultKind = '429' | '500' | '503' | 'reset';

export interface ScriptedFault {
  kind: FaultKind;
  method?: string;
  /** Matches when the request path (under /v1, without query) starts with this. */
  pathPrefix?: string;
  /** How many matching requests to fail. */
  times: number;
  /**
   * Whether the request is processed before the fault answers. Default: a `500` after, `429` and
   * `503` before, a `reset` of a write by chance. Tests set it to script a lost answer exactly.
   */
  afterProcessing?: boolean;
}

export interface FaultDecision {
  kind: FaultKind;
  afterProcessing: boolean;
}

export class FaultInjector {
  private readonly rng: Rng;
  private readonly scripted: ScriptedFault[] = [];

  constructor(
    seed: number,
    public rate: number,
  ) {
    this.rng = new Rng(seed ^ 0xfa017);
  }

  /** Fails the next `times` requests that match, whatever the fault rate. Tests use this for exact scenarios. */
  script(fault: ScriptedFault): void {
    this.scripted.push({ ...fault });
  }

  clear(): void {
    this.scripted.length = 0;
  }

  decide(method: string, path: string): FaultDecision | null {
    const scripted = this.scripted.find(
      (f) => f.times > 0 && (!f.method || f.method === method) && (!f.pathPrefix || path.startsWith(f.pathPrefix)),
    );
    if (scripted) {
      scripted.times -= 1;
      return scripted.afterProcessing === undefined ? this.shape(scripted.kind, method) : { kind: scripted.kind, afterProcessing: scripted.afterProcessing };
    }
    if (this.rate <= 0 || !this.rng.chance(this.rate)) return null;
    return this.shape(this.rng.pick(['429', '500', '503', 'reset'] as const), method);
  }

  private shape(kind: FaultKind, method: string): FaultDecision {
    if (kind === '500') return { kind, afterProcessing: true };
    if (kind === 'reset') return { kind, afterProcessing: method !== 'GET' && this.rng.chance(0.5) };
    return { kind, afterProcessing: false };
  }
}
