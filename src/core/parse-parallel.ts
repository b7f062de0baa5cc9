import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseFiles, type FileJob, type ParsedFile } from './parse-files.js';

/** Below this many files a worker's start-up costs more than it saves. */
export const PARALLEL_MIN_FILES = 300;

/** The worker script: built next to the bundle, or the TypeScript source run through tsx. */
function workerScript(): { url: URL; execArgv: string[] } | undefined {
  for (const candidate of ['./parse-worker.js', '../parse-worker.js']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return { url, execArgv: [] };
  }
  const ts = new URL('./parse-worker.ts', import.meta.url);
  return existsSync(fileURLToPath(ts)) ? { url: ts, execArgv: ['--import', 'tsx'] } : undefined;
}

/**
 * Parses files on all cores: YAML parsing dominates loading a large repository. Falls back to this
 * thread for small repositories, one core, or when a worker cannot start; the result is the same.
 */
export async function parseFilesParallel(root: string, jobs: FileJob[], maxBytes: number): Promise<ParsedFile[]> {
  const threads = Math.min(availableParallelism(), 4);
  const script = jobs.length >= PARALLEL_MIN_FILES && threads > 1 ? workerScript() : undefined;
  if (!script) return parseFiles(root, jobs, maxBytes);
  // Interleave files so each share has a similar mix of sizes; this thread takes share 0.
  const shares = Array.from({ length: threads }, (_, t) => jobs.filter((_, i) => i % threads === t));
  const remote = shares.slice(1).map((share) => runWorker(script, root, share, maxBytes));
  const local = parseFiles(root, shares[0]!, maxBytes);
  const results = [local, ...(await Promise.all(remote))];
  return jobs.map((_, i) => results[i % threads]![Math.floor(i / threads)]!);
}

function runWorker(script: { url: URL; execArgv: string[] }, root: string, jobs: FileJob[], maxBytes: number): Promise<ParsedFile[]> {
  return new Promise((resolve) => {
    let settled = false;
    const fallback = () => {
      if (!settled) {
        settled = true;
        resolve(parseFiles(root, jobs, maxBytes));
      }
    };
    let worker: Worker;
    try {
      worker = new Worker(script.url, { execArgv: script.execArgv });
    } catch {
      fallback();
      return;
    }
    worker.once('message', (parsed: ParsedFile[]) => {
      settled = true;
      resolve(parsed);
      void worker.terminate();
    });
    worker.once('error', fallback);
    worker.once('exit', fallback);
    worker.postMessage({ root, jobs, maxBytes });
  });
}
