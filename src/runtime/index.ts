/** `promptops/runtime`: the client services embed. Small by design: no compiler, no validators, no CLI. */
export { createClient, PromptOpsClient, type ChangeEvent, type ClientEvents, type ClientOptions, type ClientStatus, type StaleEvent } from './client.js';
export { UnknownEntryError, type Assignment, type ModelChoice, type RenderedMessage, type RenderOptions, type RenderResult, type Unit } from './_active.js';
export { RenderError } from './_templates.js';
export { VariableError } from './_variables.js';
export { BundleVerificationError, verifyEnvelope, type Envelope, type ReleaseStatement, type VerificationCode, type VerifiedBundle } from './envelope.js';
export type { LogUsageOptions, UsageInput, UsageRecord, UsageSink } from './_usage.js';
export type { Bundle, BundleExperiment, BundleFeature, BundlePrompt, Manifest } from '../core/compile.js';
