import Handlebars from 'handlebars';
import { CONTEXT_HELPERS, KNOWN_HELPERS } from './helpers.js';

type Node = hbs.AST.Node;
type Statement = hbs.AST.Statement;
type Expression = hbs.AST.Expression;

/** A position inside a template (1-based line, 1-based column). */
export interface TemplatePos {
  line: number;
  col: number;
}

export interface TemplateProblem extends TemplatePos {
  code: 'template-syntax' | 'unknown-helper' | 'partial-escape' | 'dynamic-partial' | 'unsupported-syntax' | 'prototype-access';
  message: string;
  hint?: string;
}

/**
 * A block that gives its body a new context: `{{#each items}}` (each item) or `{{#with obj}}`.
 * Bare names inside it are looked up on that context, not on the prompt's variables.
 */
export interface BlockScope extends TemplatePos {
  helper: 'each' | 'with';
  /** The block's argument as written, e.g. `items`. */
  source: string;
  /**
   * Where the context value comes from, as a path from the prompt's variables: `['items', '[]']` is
   * an item of `items`. Undefined when it cannot be followed statically (a helper's result, loop data).
   */
  target?: string[];
}

/** A bare name looked up on a block's context (`{{plan}}` inside `{{#each items}}`), not on the prompt's variables. */
export interface ContextRead extends TemplatePos {
  /** The first segment (`plan` in `plan.tier`). */
  name: string;
  /** The segments as written, without `../` (`['plan', 'tier']`). */
  parts: string[];
  scope: BlockScope;
  /** Context blocks around the read: `'../'.repeat(depth)` reaches the prompt's variables. */
  depth: number;
}

/** A partial included inside a context block without a context argument: it runs on the block's context. */
export interface ScopedPartial extends TemplatePos {
  name: string;
  /** Names passed as hash arguments (`{{> p plan=@root.plan}}`), visible to the partial. */
  hashKeys: string[];
  scope: BlockScope;
  depth: number;
}

export interface TemplateAnalysis {
  /** Root variables the template reads, with the first place each is used. */
  variables: Map<string, TemplatePos>;
  /** Partials the template includes, with the first place each is used. */
  partials: Map<string, TemplatePos>;
  /** Every bare name read on an `each`/`with` context, to check against the declared item shapes. */
  contextReads: ContextRead[];
  scopedPartials: ScopedPartial[];
  problems: TemplateProblem[];
  ast?: hbs.AST.Program;
}

/** Handlebars already denies prototype access at run time (rendering an empty string); reject it up front instead. */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);

const at = (node: Node): TemplatePos => ({ line: node.loc?.start.line ?? 1, col: (node.loc?.start.column ?? 0) + 1 });

/** Parses a Handlebars template and finds the variables, partials and helpers it uses, without running it. */
export function analyzeTemplate(source: string): TemplateAnalysis {
  const result: TemplateAnalysis = { variables: new Map(), partials: new Map(), contextReads: [], scopedPartials: [], problems: [] };
  try {
    result.ast = Handlebars.parse(source);
  } catch (error) {
    const message = (error as Error).message;
    const line = Number(/line (\d+)/.exec(message)?.[1] ?? (error as { lineNumber?: number }).lineNumber ?? 1);
    const col = ((error as { column?: number }).column ?? 0) + 1;
    const expecting = /Expecting (.*), got '(\w+)'/.exec(message);
    result.problems.push({
      code: 'template-syntax',
      line,
      col,
      message: expecting ? `Handlebars syntax error: unexpected ${expecting[2]}` : `Handlebars syntax error: ${message.split(' - ')[0]!.split('\n')[0]}`,
      hint: 'check that every {{ has a matching }} and every {{#block}} a matching {{/block}}',
    });
    return result;
  }
  new Walker(result).program(result.ast, { blocks: [], params: new Map() });
  return result;
}

/** What is in scope at a point of the template: the enclosing context blocks and the block params (`as |item|`) with their targets. */
interface Scope {
  blocks: BlockScope[];
  params: ReadonlyMap<string, string[] | undefined>;
}

/** `this.x` and `./x` name the context explicitly: never a slip, and never a block param. */
const explicitContext = (p: hbs.AST.PathExpression) => /^(this\b|\.)/.test(p.original);

class Walker {
  constructor(private readonly result: TemplateAnalysis) {}

  program(program: hbs.AST.Program | undefined, scope: Scope): void {
    if (!program) return;
    for (const statement of program.body) this.statement(statement, scope);
  }

  private statement(node: Statement, scope: Scope): void {
    switch (node.type) {
      case 'MustacheStatement':
        this.call(node as hbs.AST.MustacheStatement, scope);
        return;
      case 'BlockStatement': {
        const block = node as hbs.AST.BlockStatement;
        const name = this.call(block, scope, true);
        this.program(block.program, this.enter(block, name, scope));
        // {{else}} of each/with runs on the outer context.
        this.program(block.inverse, scope);
        return;
      }
      case 'PartialStatement':
      case 'PartialBlockStatement': {
        const partial = node as hbs.AST.PartialStatement;
        this.partial(partial, scope);
        for (const param of partial.params) this.expression(param, scope);
        for (const pair of partial.hash?.pairs ?? []) this.expression(pair.value, scope);
        if (node.type === 'PartialBlockStatement') this.program((node as hbs.AST.PartialBlockStatement).program, scope);
        return;
      }
      case 'DecoratorBlock':
      case 'Decorator':
        this.problem(node, 'unsupported-syntax', 'decorators are not supported in prompts', 'remove the {{* decorator}}');
        return;
      default:
        return;
    }
  }

  /** The scope of a block's body: each/with push a context; `as |a b|` names the item (or value) and the index. */
  private enter(block: hbs.AST.BlockStatement, helper: string | undefined, scope: Scope): Scope {
    let inner = scope;
    if (helper && CONTEXT_HELPERS.has(helper)) {
      const arg = block.params[0];
      const base = arg ? this.target(arg, scope) : undefined;
      const target = base && (helper === 'each' ? [...base, '[]'] : base);
      const source = arg?.type === 'PathExpression' ? (arg as hbs.AST.PathExpression).original : '…';
      inner = { blocks: [...scope.blocks, { helper: helper as BlockScope['helper'], source, ...(target ? { target } : {}), ...at(block) }], params: scope.params };
    }
    const names = block.program?.blockParams;
    if (!names?.length) return inner;
    const params = new Map(inner.params);
    const own = inner === scope ? undefined : inner.blocks[inner.blocks.length - 1]!.target;
    names.forEach((name, i) => params.set(name, i === 0 ? own : undefined));
    return { blocks: inner.blocks, params };
  }

  /** The variable path an expression reads, when it can be followed statically. */
  private target(node: Expression, scope: Scope): string[] | undefined {
    if (node.type !== 'PathExpression') return undefined;
    const p = node as hbs.AST.PathExpression;
    if (p.data) return p.parts[0] === 'root' ? p.parts.slice(1) : undefined;
    const head = p.parts[0];
    if (p.depth === 0 && head !== undefined && !explicitContext(p) && scope.params.has(head)) {
      const base = scope.params.get(head);
      return base && [...base, ...p.parts.slice(1)];
    }
    const level = scope.blocks.length - p.depth;
    if (level < 0) return undefined;
    const base = level === 0 ? [] : scope.blocks[level - 1]!.target;
    return base && [...base, ...p.parts];
  }

  /** A mustache, block or subexpression: either a helper call or a variable lookup. Returns the helper name. */
  private call(node: hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression, scope: Scope, block = false): string | undefined {
    const path = node.path;
    const hasArgs = node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0;
    let helper: string | undefined;
    if (path.type === 'PathExpression') {
      const p = path as hbs.AST.PathExpression;
      const simple = !p.data && p.depth === 0 && p.parts.length === 1 && !p.original.startsWith('this') && !p.original.startsWith('.');
      if (simple && KNOWN_HELPERS.has(p.original)) helper = p.original;
      else if (hasArgs || block || node.type === 'SubExpression') {
        this.problem(path, 'unknown-helper', `unknown helper "${p.original}"`, `available helpers: ${[...KNOWN_HELPERS].join(', ')}`);
      } else this.path(p, scope);
    }
    for (const param of node.params) this.expression(param, scope);
    for (const pair of node.hash?.pairs ?? []) this.expression(pair.value, scope);
    return helper;
  }

  private expression(node: Expression, scope: Scope): void {
    if (node.type === 'PathExpression') this.path(node as hbs.AST.PathExpression, scope);
    else if (node.type === 'SubExpression') this.call(node as hbs.AST.SubExpression, scope);
  }

  private path(p: hbs.AST.PathExpression, scope: Scope): void {
    const forbidden = p.parts.find((part) => FORBIDDEN_SEGMENTS.has(part));
    if (forbidden) {
      this.problem(p, 'prototype-access', `"${p.original}" reaches into JavaScript internals ("${forbidden}")`, 'templates may only read the variables passed to them');
      return;
    }
    if (p.data) {
      // @root.x reads a prompt variable from any depth; @index, @key, @first are loop data.
      if (p.parts[0] === 'root' && p.parts[1]) this.variable(p.parts[1], p);
      return;
    }
    const head = p.parts[0];
    if (head === undefined) return;
    const explicit = explicitContext(p);
    if (p.depth === 0 && !explicit && scope.params.has(head)) return;
    const level = scope.blocks.length - p.depth;
    if (level === 0) this.variable(head, p);
    else if (level > 0 && !explicit) this.result.contextReads.push({ name: head, parts: p.parts, scope: scope.blocks[level - 1]!, depth: scope.blocks.length, ...at(p) });
  }

  private variable(name: string, node: Node): void {
    if (!this.result.variables.has(name)) this.result.variables.set(name, at(node));
  }

  private partial(node: hbs.AST.PartialStatement, scope: Scope): void {
    if (node.name.type !== 'PathExpression') {
      this.problem(node, 'dynamic-partial', 'dynamic partial names are not allowed', 'name the partial literally: {{> name}}');
      return;
    }
    const name = (node.name as hbs.AST.PathExpression).original;
    if (name.includes('..') || name.startsWith('/') || name.includes('\\') || name.startsWith('.')) {
      this.problem(node, 'partial-escape', `partial "${name}" points outside prompts/_partials`, 'partials are referenced by name relative to prompts/_partials, e.g. {{> safety-rules}}');
      return;
    }
    if (!this.result.partials.has(name)) this.result.partials.set(name, at(node));
    // With a context argument ({{> p this}}, {{> p @root}}) the partial's context is explicit.
    const inner = scope.blocks[scope.blocks.length - 1];
    if (inner && node.params.length === 0) {
      this.result.scopedPartials.push({ name, hashKeys: (node.hash?.pairs ?? []).map((pair) => pair.key), scope: inner, depth: scope.blocks.length, ...at(node) });
    }
  }

  private problem(node: Node, code: TemplateProblem['code'], message: string, hint?: string): void {
    this.result.problems.push({ code, ...at(node), message, ...(hint ? { hint } : {}) });
  }
}

