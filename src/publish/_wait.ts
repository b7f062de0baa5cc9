import type { Release } from './store.js';

export interface WaitOptions {
  /** A revision: wait until another one is released. A release: wait until the pointer moves at all (a re-sign moves it to the same revision). */
  since: string | Pick<Release, 'revision' | 'seq'> | undefined;
  timeoutMs: number;
  signal?: AbortSignal;
  read: () => Promise<Release | undefined>;
  /**
   * Starts watching for hints of a change: `wake` asks for a re-read, `fail` ends the wait with an
   * error (say, the notification channel broke). Resolves to a function that stops watching.
   */
  watch: (wake: () => void, fail: (error: unknown) => void) => Promise<() => void> | (() => void);
}

/**
 * The wait loop both stores share: watch first, then read, so a release landing between the read
 * and the subscription is not missed; every wake-up re-reads (reads never overlap), and the
 * timeout answers with a fresh read.
 */
export function waitForChange(options: WaitOptions): Promise<Release | undefined> {
  const { since, signal, read } = options;
  const moved = (release: Release | undefined) => (typeof since === 'object' ? release?.seq !== since.seq || release.revision !== since.revision : release?.revision !== since);
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    let done = false;
    let reading = false;
    let again = false;
    let stop: (() => void) | undefined;

    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      stop?.();
      settle();
    };
    const fail = (error: unknown) => finish(() => reject(error));
    const check = async () => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          const release = await read();
          if (moved(release)) return finish(() => resolve(release));
        } while (again && !done);
      } catch (error) {
        fail(error);
      } finally {
        reading = false;
      }
    };
    const wake = () => {
      if (!done) void check();
    };
    const onAbort = () => fail(signal!.reason);
    const timer = setTimeout(() => read().then((release) => finish(() => resolve(release)), fail), Math.max(0, options.timeoutMs));
    signal?.addEventListener('abort', onAbort, { once: true });

    Promise.resolve()
      .then(() => options.watch(wake, fail))
      .then((unwatch) => {
        if (done) return unwatch();
        stop = unwatch;
        wake();
      }, fail);
  });
}
