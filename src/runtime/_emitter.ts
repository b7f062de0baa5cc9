type Listener<T> = (payload: T) => void;

/**
 * A minimal typed event emitter (node:events would do, but its `error` event throws when nobody
 * listens, and a client that keeps serving must never throw from background work).
 */
export class Emitter<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Subscribes; returns a function that unsubscribes. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => this.off(event, listener);
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    this.listeners.get(event)?.delete(listener as Listener<never>);
  }

  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<Events[K]>)(payload);
      } catch (error) {
        // A failing listener is the caller's bug: surface it like any uncaught callback error
        // instead of letting it break the poll loop that emitted the event.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
