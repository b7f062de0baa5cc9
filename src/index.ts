/** Public library surface: every CLI command is also a function taking an options object. */
export { validateRepository, type ValidateOptions, type ValidateResult } from './core/check/index.js';
export { loadRepository, type Repository, type Entity } from './core/repository.js';
export { renderPrompt, resolveAssignment, type RenderOptions, type Rendered } from './core/render.js';
export { compileBundle, BUNDLE_SCHEMA_VERSION, type Bundle, type CompiledBundle, type Manifest } from './core/compile.js';
export { estimateCall, type CallEstimate } from './core/estimate.js';
export { mergeCatalog, priceAt, costOf, type Catalog, type Model, type TokenUsage } from './core/catalog/catalog.js';
export { BUILTIN_CATALOG, BUILTIN_PRICES_CHECKED } from './core/catalog/builtin.js';
export { canonicalJson, sha256Hex } from './core/canonical.js';
export { scaffoldFiles } from './core/scaffold/files.js';
export { SCHEMAS, schemaDocument } from './core/schemas/index.js';
export type { Diagnostic, Severity, Result } from './core/diagnostics.js';
export { runDiff, type RunDiffOptions, type DiffRun } from './diff/run.js';
export { buildDiffReport, type DiffReport, type Thresholds } from './core/diff/report.js';
export { renderMarkdown, COMMENT_LIMIT } from './diff/markdown.js';
export { upsertStickyComment, GitHubError, type StickyCommentOptions, type StickyCommentResult, type CommentBehavior } from './github/sticky-comment.js';
export { pullRequestContext, type PullRequestContext } from './github/context.js';
export { promptHistory, promptVersionDiff } from './git/history.js';
export { runCli } from './cli/run.js';
