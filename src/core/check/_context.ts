import type { Diagnostic, Severity } from '../diagnostics.js';
import type { Entity, Repository } from '../repository.js';
import { locate } from '../source.js';

/** Shared state of one validation run. */
export interface CheckContext {
  repo: Repository;
  /** YYYY-MM-DD, injected so deprecation checks are testable. */
  today: string;
  diagnostics: Diagnostic[];
}

export interface Report {
  code: string;
  message: string;
  hint?: string;
  severity?: Severity;
  /** Point at the key instead of the value (unknown or misplaced keys). */
  key?: boolean;
}

/** Records a diagnostic located at `path` inside an entity's file. */
export function report(ctx: CheckContext, entity: Pick<Entity<unknown>, 'file' | 'source'>, path: (string | number)[], r: Report): void {
  ctx.diagnostics.push({
    code: r.code,
    severity: r.severity ?? 'error',
    message: r.message,
    file: entity.file,
    ...locate(entity.source, path, { key: r.key }),
    path,
    ...(r.hint ? { hint: r.hint } : {}),
  });
}
