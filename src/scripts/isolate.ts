import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { MAX_CONSOLE_CHARS, MAX_RESULT_CHARS, STACK_BYTES, type ScriptLimits } from './limits.js';
import { WORKER_SOURCE } from './worker-source.js';

/*
 * Where a script runs: QuickJS compiled to WebAssembly, in a worker thread of its own. QuickJS stops
 * ordinary loops itself (its interrupt handler), but some work inside the WebAssembly never reaches
 * an interrupt point (allocating near the memory limit took 25 s in one test), and on the main
 * thread that would stall every other call. In a worker it stalls only the script, and the wall-time
 * limit ends it from here with `terminate`, which always works. A worker runs one script at a time
 * and is used again only after a script that ended on its own; a warm spare is kept, so a script
 * starts without waiting for a worker or for QuickJS to load.
 */

export interface IsolateHost {
  /** One api call: resolves to the envelope `{"ok":true,"data":…}` or `{"ok":false,"error":"…"}`, as JSON. */
  call(name: string, argsJson: string): Promise<string>;
}

export type IsolateOutcome = (
  | { ok: true; json: string }
  | { ok: false; kind: 'error' | 'memory' | 'time' | 'stack' | 'cancelled' | 'result' | 'syntax'; message: string; memoryUsed?: number }
) & { logs: string[] };

export interface IsolateRun {
  code: string;
  /** The tools `api` has as properties. */
  names: readonly string[];
  limits: ScriptLimits;
  host: IsolateHost;
  /** Aborted by the caller's cancellation: the worker is ended at once, and the host's calls with it. */
  signal: AbortSignal;
}

/** Scripts running at once in this process; more wait for a worker. */
export const MAX_RUNNING_SCRIPTS = 4;
/** Time past the limit the worker's own interrupt has to end the script before it is terminated. */
const GRACE_MS = 250;

type WorkerOutcome = (IsolateOutcome & { clean?: boolean }) | undefined;

const require = createRequire(import.meta.url);
let paths: { core: string; variant: string } | undefined;
const idle: Worker[] = [];
let running = 0;
const queue: Array<() => void> = [];

function spawn(): Worker {
  paths ??= { core: require.resolve('quickjs-emscripten-core'), variant: require.resolve('@jitl/quickjs-wasmfile-release-sync') };
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: paths, resourceLimits: { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 } });
  worker.unref();
  // A worker that dies while idle is simply not used again.
  worker.on('error', () => dropIdle(worker));
  worker.on('exit', () => dropIdle(worker));
  return worker;
}

function dropIdle(worker: Worker): void {
  const at = idle.indexOf(worker);
  if (at >= 0) idle.splice(at, 1);
}

/** Starts the spare worker (and QuickJS in it) ahead of the first script. */
export function warmIsolates(): void {
  if (idle.length === 0) idle.push(spawn());
}

/** Runs the script to its end, a limit, or cancellation. Never throws for anything the script does. */
export async function runIsolate(run: IsolateRun): Promise<IsolateOutcome> {
  if (running >= MAX_RUNNING_SCRIPTS) await new Promise<void>((resolve) => queue.push(resolve));
  running += 1;
  try {
    if (run.signal.aborted) return { ok: false, kind: 'cancelled', message: 'cancelled', logs: [] };
    const worker = idle.pop() ?? spawn();
    // The next script finds a warm worker.
    if (idle.length === 0) idle.push(spawn());
    const outcome = await inWorker(worker, run);
    if (outcome?.clean === true && idle.length < 2) {
      worker.unref();
      idle.push(worker);
    } else {
      void worker.terminate();
    }
    const { clean: _clean, ...rest } = outcome ?? { ok: false, kind: 'error', message: 'the isolate stopped unexpectedly', logs: [] };
    return rest as IsolateOutcome;
  } finally {
    running -= 1;
    queue.shift()?.();
  }
}

function inWorker(worker: Worker, run: IsolateRun): Promise<WorkerOutcome> {
  worker.ref();
  return new Promise<WorkerOutcome>((resolve) => {
    let done = false;
    const finish = (outcome: WorkerOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      run.signal.removeEventListener('abort', onAbort);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ ok: false, kind: 'time', message: 'time', logs: [], clean: false }), run.limits.timeoutMs + GRACE_MS);
    const onAbort = () => finish({ ok: false, kind: 'cancelled', message: 'cancelled', logs: [], clean: false });
    const onError = (error: Error) => finish({ ok: false, kind: 'error', message: `the isolate failed: ${error.message}`, logs: [], clean: false });
    const onExit = () => finish(undefined);
    const onMessage = (message: { type: string; call?: number; name?: string; args?: string; outcome?: WorkerOutcome }) => {
      if (message.type === 'done') {
        finish(message.outcome);
      } else if (message.type === 'call') {
        run.host.call(message.name ?? '', message.args ?? 'null').then(
          (envelope) => {
            if (!done) worker.postMessage({ type: 'reply', call: message.call, envelope });
          },
          (error: unknown) => {
            if (!done) worker.postMessage({ type: 'reply', call: message.call, envelope: JSON.stringify({ ok: false, error: `the call failed in the server: ${(error as Error).message}` }) });
          },
        );
      }
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    if (run.signal.aborted) return onAbort();
    run.signal.addEventListener('abort', onAbort, { once: true });
    worker.postMessage({
      type: 'run',
      code: run.code,
      names: JSON.stringify(run.names),
      limits: run.limits,
      stackBytes: STACK_BYTES,
      consoleChars: MAX_CONSOLE_CHARS,
      consoleLimit: `console output reached its limit of ${MAX_CONSOLE_CHARS} characters; log less, or return the data instead`,
      resultChars: MAX_RESULT_CHARS,
    });
  });
}
