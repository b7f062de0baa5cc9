import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { UsageRecord } from '../core/schemas/usage-log.js';
import type { Assignment, RenderResult } from './_active.js';

/** One LLM call, as schemas/usage-log.schema.json describes it. */
export type { UsageRecord };

/** A JSON Lines file (appended to) or a function receiving each record. */
export type UsageSink = string | ((record: UsageRecord) => void);

export interface UsageWriter {
  write(record: UsageRecord): void;
  /** Resolves when every record written so far is on disk. */
  close(): Promise<void>;
}

/** One append stream per client: lines stay whole and in order, and writing never blocks rendering. */
export function usageWriter(sink: UsageSink, onError: (error: Error) => void): UsageWriter {
  if (typeof sink === 'function') return { write: sink, close: async () => {} };
  let stream: WriteStream | undefined;
  return {
    write(record) {
      if (!stream) {
        mkdirSync(dirname(sink), { recursive: true });
        stream = createWriteStream(sink, { flags: 'a' });
        stream.on('error', onError);
      }
      stream.write(`${JSON.stringify(record)}\n`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!stream || stream.destroyed) return resolve();
        stream.end(resolve);
      }),
  };
}

/** A usage record before the client completes it: ids, time and what a render result or assignment tells. */
export type UsageInput = Omit<UsageRecord, 'timestamp' | 'request_id' | 'feature' | 'provider' | 'model'> & Partial<Pick<UsageRecord, 'timestamp' | 'request_id' | 'feature' | 'provider' | 'model'>>;

export interface LogUsageOptions {
  /** Fills prompt_id, prompt_version, bundle_revision, feature, team, provider, model, experiment and variant. */
  rendered?: RenderResult;
  /** Fills experiment and variant (and feature without `rendered`) when `rendered` names no experiment. */
  assignment?: Assignment;
}

/**
 * Fills timestamp, request_id, environment, bundle revision and what `rendered` (and `assignment`)
 * tell; fields given in `record` win. Throws when a field the schema requires is still missing.
 * `model` stays `provider/model` as the bundle names it (usage logs accept both forms).
 */
export function completeUsage(record: UsageInput, context: LogUsageOptions & { environment: string; revision?: string; team?: string }): UsageRecord {
  const { rendered, assignment } = context;
  const experiment = rendered?.experiment !== undefined ? { experiment: rendered.experiment, variant: rendered.variant } : { experiment: assignment?.experiment, variant: assignment?.variant };
  const filled: Partial<UsageRecord> = {
    timestamp: new Date().toISOString(),
    request_id: randomUUID(),
    feature: rendered?.feature ?? assignment?.feature,
    environment: context.environment,
    prompt_id: rendered?.promptId,
    prompt_version: rendered?.promptVersion,
    bundle_revision: rendered?.revision ?? context.revision,
    ...experiment,
    provider: rendered?.provider,
    model: rendered?.model,
    team: context.team,
  };
  const complete: Record<string, unknown> = { ...filled, ...record };
  for (const key of Object.keys(complete)) if (complete[key] === undefined) delete complete[key];
  const missing = ['feature', 'provider', 'model', 'status'].filter((key) => complete[key] === undefined || complete[key] === '');
  if (missing.length) throw new Error(`usage record lacks ${missing.join(', ')} (pass them, or a render result with a feature that assigns a model)`);
  return complete as UsageRecord;
}
