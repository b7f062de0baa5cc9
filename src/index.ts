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
export { runCli } from './cli/run.js';
