// Worker entry: parses a share of a large repository's files on another core.
import { parentPort } from 'node:worker_threads';
import { parseFiles, type FileJob } from './parse-files.js';

parentPort!.on('message', ({ root, jobs, maxBytes }: { root: string; jobs: FileJob[]; maxBytes: number }) => {
  // Positioned YAML trees do not survive structured cloning; the main thread rebuilds one only if it must report on the file.
  parentPort!.postMessage(parseFiles(root, jobs, maxBytes).map(({ source: _source, ...rest }) => rest));
});
