import { Worker } from 'node:worker_threads';

/**
 * `javascript` assertions run in worker threads: user code that loops forever or never settles would
 * otherwise block the whole run (`--timeout` only bounds model calls). A call that outlives its time
 * limit has its worker terminated (the only way to stop a synchronous loop) and fails with a reason;
 * idle workers are kept for the next call and never keep the process alive.
 */

export type JsCallResult = { ok: true; value: unknown } | { ok: false; reason: string };

export interface JsCall {
  /** Absolute path of the module (inside the repository, symlinks resolved). */
  file: string;
  /** How `file` is named in reasons (the repository-relative path the test wrote). */
  label: string;
  output: string;
  context: { vars: Record<string, unknown>; prompt: string };
  timeoutMs: number;
}

// Plain JavaScript evaluated by the worker, so it runs the same from sources (tsx, vitest) and from the
// bundle. Each worker imports a module once and keeps it, like the main process did before.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
const modules = new Map();
parentPort.on('message', async ({ file, output, context }) => {
  try {
    let load = modules.get(file);
    if (!load) modules.set(file, (load = import(pathToFileURL(file).href)));
    const m = await load;
    if (typeof m.default !== 'function') return parentPort.postMessage({ notFunction: true });
    const value = await m.default(output, context);
    parentPort.postMessage({ value });
  } catch (error) {
    parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
});
`;

const idle: Worker[] = [];

/** Runs the default export of `call.file` on the output in a worker, within `call.timeoutMs`. */
export function runJsAssertionCall(call: JsCall): Promise<JsCallResult> {
  const worker = idle.pop() ?? new Worker(WORKER_SOURCE, { eval: true });
  worker.ref();
  return new Promise<JsCallResult>((resolve) => {
    let settled = false;
    const finish = (result: JsCallResult, reusable: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      if (reusable) {
        worker.unref();
        idle.push(worker);
      } else void worker.terminate();
      resolve(result);
    };
    const onMessage = (reply: { value?: unknown; error?: string; notFunction?: boolean }) => {
      if (reply.notFunction) finish({ ok: false, reason: `${call.label} must export a default function (output, context) => boolean | number | {pass, score, reason}` }, true);
      else if (reply.error !== undefined) finish({ ok: false, reason: `${call.label} threw: ${reply.error}` }, true);
      else finish({ ok: true, value: reply.value }, true);
    };
    // An exception thrown outside the awaited call (a timer callback, an unhandled rejection) ends the worker.
    const onError = (error: Error) => finish({ ok: false, reason: `${call.label} crashed: ${error.message}` }, false);
    const onExit = (code: number) => finish({ ok: false, reason: `${call.label} ended its thread (exit code ${code}) before returning` }, false);
    const timer = setTimeout(
      () => finish({ ok: false, reason: `${call.label} did not return within ${call.timeoutMs} ms (stopped; raise eval.assertion_timeout_ms or --assertion-timeout if it needs longer)` }, false),
      call.timeoutMs,
    );
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    try {
      worker.postMessage({ file: call.file, output: call.output, context: call.context });
    } catch (error) {
      finish({ ok: false, reason: `${call.label}: cannot pass the test's vars to the assertion (${(error as Error).message})` }, true);
    }
  });
}
