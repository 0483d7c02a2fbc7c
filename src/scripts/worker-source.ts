/*
 * The code of an isolate worker (a worker thread, see isolate.ts), as plain JavaScript text run with
 * `eval: true`: the same text runs from dist/ and under the test runner, which does not compile a
 * worker's file. It loads QuickJS once per worker and runs one script at a time, each in a fresh
 * runtime and context with their own memory limit, stack limit and interrupt handler.
 *
 * Nothing of the host enters the isolate but two functions, handed to a prelude as arguments and
 * never put on the global object: `call`, which takes and returns JSON text only (so no host object,
 * prototype or function ever crosses; every value the script sees is made by its own JSON.parse),
 * and `log`. `api.<name>` exists for each tool the caller may call; any other name still reaches the
 * server, which answers with the refusal a direct call would get.
 */
export const WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const core = require(workerData.core);
const variantExport = require(workerData.variant);
const variant = variantExport.default || variantExport;
const modulePromise = core.newQuickJSWASMModuleFromVariant(variant);

const PRELUDE = '(' + function (call, log, names, consoleLimit) {
  'use strict';
  const parse = JSON.parse, stringify = JSON.stringify, freeze = Object.freeze, ErrorCtor = Error;
  const make = (name) => freeze(async function (args) {
    const text = stringify(args === undefined ? {} : args);
    const envelope = parse(await call(name, text === undefined ? 'null' : text));
    if (!envelope.ok) throw new ErrorCtor(envelope.error);
    return envelope.data;
  });
  const known = Object.create(null);
  for (const name of parse(names)) known[name] = make(name);
  freeze(known);
  const api = new Proxy(known, {
    get(target, key) {
      if (typeof key !== 'string' || key === 'then' || key === 'toJSON') return undefined;
      return key in target ? target[key] : make(key);
    },
    set() { return false; },
    defineProperty() { return false; },
    deleteProperty() { return false; },
  });
  const show = (v) => { if (typeof v === 'string') return v; try { const t = stringify(v); return t === undefined ? String(v) : t; } catch (e) { return String(v); } };
  const write = (...values) => { if (!log(values.map(show).join(' '))) throw new ErrorCtor(consoleLimit); };
  const console = freeze({ log: write, info: write, warn: write, error: write, debug: write });
  Object.defineProperty(globalThis, 'api', { value: api, writable: false, configurable: false, enumerable: false });
  Object.defineProperty(globalThis, 'console', { value: console, writable: false, configurable: false, enumerable: false });
  return (value) => { const t = stringify(value === undefined ? null : value); return t === undefined ? 'null' : t; };
}.toString() + ')';

const replies = new Map();
let nextCall = 0;

parentPort.on('message', (message) => {
  if (message.type === 'reply') {
    const resolve = replies.get(message.call);
    replies.delete(message.call);
    if (resolve) resolve(message.envelope);
  } else if (message.type === 'run') {
    run(message).then((outcome) => parentPort.postMessage({ type: 'done', outcome }), (error) => parentPort.postMessage({ type: 'done', outcome: { ok: false, kind: 'error', message: 'the isolate failed: ' + String(error && error.message), clean: false, logs: [] } }));
  }
});

async function run(job) {
  const module = await modulePromise;
  const limits = job.limits;
  const started = Date.now();
  const deadline = started + limits.timeoutMs;
  const runtime = module.newRuntime();
  runtime.setMemoryLimit(limits.memoryBytes);
  runtime.setMaxStackSize(job.stackBytes);
  let stopped = false;
  runtime.setInterruptHandler(() => (stopped = stopped || Date.now() > deadline));
  const vm = runtime.newContext();
  const logs = [];
  let logChars = 0;
  let finished = false;
  const pending = new Set();

  const failed = (error, syntax) => {
    const dumped = vm.dump(error);
    error.dispose();
    const name = dumped && typeof dumped === 'object' ? String(dumped.name || 'Error') : 'Error';
    const message = dumped && typeof dumped === 'object' ? String(dumped.message || '') : String(dumped);
    if (message === 'out of memory') return { ok: false, kind: 'memory', message };
    if (/stack overflow|call stack size/i.test(message)) return { ok: false, kind: 'stack', message };
    if (stopped && name === 'InternalError' && message === 'interrupted') return { ok: false, kind: 'time', message };
    return { ok: false, kind: syntax || name === 'SyntaxError' ? 'syntax' : 'error', message: name + ': ' + message };
  };

  const settle = (deferred, envelope) => {
    if (finished || !deferred.alive) return;
    pending.delete(deferred);
    const text = vm.newString(envelope);
    deferred.resolve(text);
    text.dispose();
    deferred.dispose();
    runtime.executePendingJobs();
  };

  const call = vm.newFunction('call', (nameHandle, argsHandle) => {
    const deferred = vm.newPromise();
    pending.add(deferred);
    const name = vm.typeof(nameHandle) === 'string' ? vm.getString(nameHandle) : '';
    const args = vm.typeof(argsHandle) === 'string' ? vm.getString(argsHandle) : 'null';
    const id = ++nextCall;
    replies.set(id, (envelope) => settle(deferred, envelope));
    parentPort.postMessage({ type: 'call', call: id, name, args });
    return deferred.handle;
  });
  const log = vm.newFunction('log', (line) => {
    const text = vm.typeof(line) === 'string' ? vm.getString(line) : '';
    if (logChars + text.length > job.consoleChars) return vm.false;
    logChars += text.length;
    logs.push(text);
    return vm.true;
  });

  let outcome;
  try {
    outcome = await evaluate();
  } catch (error) {
    // Node's own stack ran out inside QuickJS: the worker is ended, never reused.
    outcome = error instanceof RangeError ? { ok: false, kind: 'stack', message: error.message } : { ok: false, kind: 'error', message: 'the isolate failed: ' + String(error && error.message) };
    outcome.clean = false;
  }
  finished = true;
  if (outcome.clean === undefined) outcome.clean = outcome.ok || outcome.kind === 'error' || outcome.kind === 'syntax' || outcome.kind === 'result';
  if (outcome.kind === 'time' || outcome.kind === 'memory') {
    try {
      const usage = runtime.computeMemoryUsage();
      outcome.memoryUsed = vm.dump(usage).memory_used_size;
      usage.dispose();
    } catch (e) {}
  }
  outcome.logs = logs;
  if (outcome.clean) {
    try {
      for (const deferred of pending) deferred.dispose();
      vm.dispose();
      runtime.dispose();
    } catch (e) {
      outcome.clean = false;
    }
  }
  return outcome;

  async function evaluate() {
    const prelude = vm.evalCode(PRELUDE, 'prelude.js');
    if (prelude.error) return failed(prelude.error);
    const names = vm.newString(job.names);
    const limitText = vm.newString(job.consoleLimit);
    const made = vm.callFunction(prelude.value, vm.undefined, call, log, names, limitText);
    for (const h of [prelude.value, call, log, names, limitText]) h.dispose();
    if (made.error) return failed(made.error);
    const serialize = made.value;
    try {
      const evaluated = vm.evalCode('(async () => {\n' + job.code + '\n})()', 'script.js');
      if (evaluated.error) return failed(evaluated.error, true);
      const settled = vm.resolvePromise(evaluated.value);
      evaluated.value.dispose();
      runtime.executePendingJobs();
      const ended = await settled;
      if (ended.error) return failed(ended.error);
      const text = vm.callFunction(serialize, vm.undefined, ended.value);
      ended.value.dispose();
      if (text.error) return failed(text.error);
      const json = vm.getString(text.value);
      text.value.dispose();
      if (json.length > job.resultChars) return { ok: false, kind: 'result', message: 'result' };
      return { ok: true, json };
    } finally {
      serialize.dispose();
    }
  }
}
`;
