import { stripVTControlCharacters } from 'node:util';
import { defineCommand, renderUsage, runCommand, type ArgsDef, type CommandDef } from 'citty';
import { redact } from '../core/redact.js';
import { EXIT, ExitError } from './errors.js';
import { processIo, type Io } from './io.js';

type Lazy = () => Promise<CommandDef<any>>;

/** Commands are imported only when run, so `promptops --help` loads nothing heavy. */
export const COMMANDS: Record<string, { description: string; load: Lazy }> = {
  init: { description: 'Scaffold a new config repository', load: () => import('./commands/init.js').then((m) => m.default) },
  validate: { description: 'Validate every file: schemas, references, templates', load: () => import('./commands/validate.js').then((m) => m.default) },
  render: { description: 'Render a prompt with variables; show tokens and cost', load: () => import('./commands/render.js').then((m) => m.default) },
  eval: { description: 'Run prompt tests against models: assertions, cost, latency; record/replay', load: () => import('./commands/eval.js').then((m) => m.default) },
  compile: { description: 'Compile the bundle of each environment (canonical JSON, sha256 revision)', load: () => import('./commands/compile.js').then((m) => m.default) },
  history: { description: 'Versions of a prompt across git history (commit, date, author, version, changelog note); --diff A..B', load: () => import('./commands/history.js').then((m) => m.default) },
  diff: { description: 'Compare base and head: entities, policy checks, eval and cost diffs, budget impact', load: () => import('./commands/diff.js').then((m) => m.default) },
  comment: { description: 'Post the diff as one sticky pull-request comment (updated in place; stale runs never overwrite newer ones)', load: () => import('./commands/comment.js').then((m) => m.default) },
  ci: { description: 'validate + eval + diff + comment in one, judged by the base commit\'s policy thresholds', load: () => import('./commands/ci.js').then((m) => m.default) },
  keygen: { description: 'Create the Ed25519 key pair that signs bundles (the private key goes into a CI secret)', load: () => import('./commands/keygen.js').then((m) => m.default) },
  publish: { description: 'Compile, sign and publish an environment\'s bundle to the runtime store (compare-and-set)', load: () => import('./commands/publish.js').then((m) => m.default) },
  releases: { description: 'Release history of each environment in the runtime store', load: () => import('./commands/releases.js').then((m) => m.default) },
  rollback: { description: 'Move an environment\'s release back to an earlier revision', load: () => import('./commands/rollback.js').then((m) => m.default) },
  serve: { description: 'Serve bundles over HTTP: ETag/304, long-poll on release, immutable revisions, /healthz', load: () => import('./commands/serve.js').then((m) => m.default) },
  pull: { description: 'Fetch and verify (signature, sha256, environment) the current bundle of an environment', load: () => import('./commands/pull.js').then((m) => m.default) },
  'spend report': { description: 'Spend from usage logs by feature, model, team, day, … (table, markdown, JSON, CSV, HTML)', load: () => import('./commands/spend-report.js').then((m) => m.default) },
  'spend budgets': { description: 'Budget status, burn rate and projection; alerts once per period and threshold', load: () => import('./commands/spend-budgets.js').then((m) => m.default) },
  'spend optimize': { description: 'Savings backed by usage and eval results: cheaper models, prompt caching, errors', load: () => import('./commands/spend-optimize.js').then((m) => m.default) },
  'experiment report': { description: 'Experiment results: exposures, metrics with confidence intervals, SRM, winner', load: () => import('./commands/experiment-report.js').then((m) => m.default) },
};

export const VERSION = '0.1.0';

const root = defineCommand({
  meta: { name: 'promptops', version: VERSION, description: 'GitOps for prompts and AI configuration' },
  // Only names and descriptions: rendering the top-level help must not import any command.
  subCommands: Object.fromEntries(Object.entries(COMMANDS).map(([name, c]) => [name, { meta: { name, description: c.description } }])),
});

/** Groups of two-word commands (`spend report`): the group name alone lists them. */
const GROUPS = new Set(Object.keys(COMMANDS).filter((k) => k.includes(' ')).map((k) => k.split(' ')[0]!));

/** Runs the CLI with injected argv and io; returns the exit code instead of exiting. */
export async function runCli(argv: string[], io: Io = processIo()): Promise<number> {
  const [first, second] = argv;
  const twoWord = first !== undefined && second !== undefined && COMMANDS[`${first} ${second}`] ? `${first} ${second}` : undefined;
  const [name, ...rest] = twoWord ? [twoWord, ...argv.slice(2)] : argv;
  if (name && GROUPS.has(name) && !twoWord) {
    const subs = Object.entries(COMMANDS).filter(([k]) => k.startsWith(`${name} `));
    const known = subs.map(([k, c]) => `  ${k.padEnd(20)} ${c.description}`).join('\n');
    if (second !== undefined && second !== '--help' && second !== '-h') {
      io.err(`promptops: unknown command "${name} ${second}". Commands:\n${known}`);
      return EXIT.usage;
    }
    io.out(`Commands:\n${known}`);
    return second === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(await usage(io, root));
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    io.out(VERSION);
    return EXIT.ok;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.err(`promptops: unknown command "${name}". Run "promptops --help" for the list of commands.`);
    return EXIT.usage;
  }
  const cmd = { ...(await entry.load()), meta: { name, description: entry.description } };
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(await usage(io, cmd, root));
    return EXIT.ok;
  }
  try {
    const args = (typeof cmd.args === 'function' ? await cmd.args() : await cmd.args) as ArgsDef | undefined;
    checkFlags(rest, args ?? {});
    await runCommand(cmd, { rawArgs: rest, data: io });
    return EXIT.ok;
  } catch (error) {
    return handleError(error, io, name);
  }
}

/** citty colours its usage text whatever the terminal; DESIGN §3: no ANSI when stdout is not a TTY or NO_COLOR is set. */
async function usage(io: Io, cmd: CommandDef<any>, parent?: CommandDef<any>): Promise<string> {
  const text = await renderUsage(cmd, parent);
  return io.color ? text : stripVTControlCharacters(text);
}

/** Every error message goes through `redact`: a message can quote a store URL, a driver's or a provider's text. */
function handleError(error: unknown, io: Io, command: string): number {
  if (error instanceof ExitError) {
    if (error.message) io.err(redact(error.message));
    return error.code;
  }
  // citty reports missing required arguments and bad enum values as CLIError.
  if (error instanceof Error && error.name === 'CLIError') {
    io.err(redact(`promptops ${command}: ${error.message}. Run "promptops ${command} --help".`));
    return EXIT.usage;
  }
  io.err(redact(`promptops ${command}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`));
  return EXIT.infra;
}

const toKebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** citty ignores unknown flags; a typo in a flag must be a usage error, not a silently ignored setting. */
function checkFlags(argv: string[], args: ArgsDef): void {
  const known = new Set<string>();
  for (const [name, def] of Object.entries(args)) {
    if (def.type === 'positional') continue;
    known.add(name).add(toKebab(name));
    if (def.type === 'boolean') known.add(`no-${name}`).add(`no-${toKebab(name)}`);
    const alias = 'alias' in def ? def.alias : undefined;
    for (const a of Array.isArray(alias) ? alias : alias ? [alias] : []) known.add(a);
  }
  for (const arg of argv) {
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-') continue;
    const flag = arg.replace(/^--?/, '').split('=')[0]!;
    if (!known.has(flag)) throw new ExitError(EXIT.usage, `promptops: unknown option "${arg.split('=')[0]}". Known options: ${[...known].filter((k) => !k.startsWith('no-')).map((k) => (k.length === 1 ? `-${k}` : `--${k}`)).join(', ')}`);
  }
}
