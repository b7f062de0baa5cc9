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

export interface TemplateAnalysis {
  /** Root variables the template reads, with the first place each is used. */
  variables: Map<string, TemplatePos>;
  /** Partials the template includes, with the first place each is used. */
  partials: Map<string, TemplatePos>;
  problems: TemplateProblem[];
  ast?: hbs.AST.Program;
}

/** Handlebars already denies prototype access at run time (rendering an empty string); reject it up front instead. */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);

const at = (node: Node): TemplatePos => ({ line: node.loc?.start.line ?? 1, col: (node.loc?.start.column ?? 0) + 1 });

/** Parses a Handlebars template and finds the variables, partials and helpers it uses, without running it. */
export function analyzeTemplate(source: string): TemplateAnalysis {
  const result: TemplateAnalysis = { variables: new Map(), partials: new Map(), problems: [] };
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
  new Walker(result).program(result.ast, 0, new Set());
  return result;
}

class Walker {
  constructor(private readonly result: TemplateAnalysis) {}

  program(program: hbs.AST.Program | undefined, depth: number, blockParams: Set<string>): void {
    if (!program) return;
    const params = program.blockParams?.length ? new Set([...blockParams, ...program.blockParams]) : blockParams;
    for (const statement of program.body) this.statement(statement, depth, params);
  }

  private statement(node: Statement, depth: number, blockParams: Set<string>): void {
    switch (node.type) {
      case 'MustacheStatement':
        this.call(node as hbs.AST.MustacheStatement, depth, blockParams);
        return;
      case 'BlockStatement': {
        const block = node as hbs.AST.BlockStatement;
        const name = this.call(block, depth, blockParams, true);
        this.program(block.program, name && CONTEXT_HELPERS.has(name) ? depth + 1 : depth, blockParams);
        this.program(block.inverse, depth, blockParams);
        return;
      }
      case 'PartialStatement':
      case 'PartialBlockStatement': {
        const partial = node as hbs.AST.PartialStatement;
        this.partial(partial);
        for (const param of partial.params) this.expression(param, depth, blockParams);
        for (const pair of partial.hash?.pairs ?? []) this.expression(pair.value, depth, blockParams);
        if (node.type === 'PartialBlockStatement') this.program((node as hbs.AST.PartialBlockStatement).program, depth, blockParams);
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

  /** A mustache, block or subexpression: either a helper call or a variable lookup. Returns the helper name. */
  private call(node: hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression, depth: number, blockParams: Set<string>, block = false): string | undefined {
    const path = node.path;
    const hasArgs = node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0;
    let helper: string | undefined;
    if (path.type === 'PathExpression') {
      const p = path as hbs.AST.PathExpression;
      const simple = !p.data && p.depth === 0 && p.parts.length === 1 && !p.original.startsWith('this') && !p.original.startsWith('.');
      if (simple && KNOWN_HELPERS.has(p.original)) helper = p.original;
      else if (hasArgs || block || node.type === 'SubExpression') {
        this.problem(path, 'unknown-helper', `unknown helper "${p.original}"`, `available helpers: ${[...KNOWN_HELPERS].join(', ')}`);
      } else this.path(p, depth, blockParams);
    }
    for (const param of node.params) this.expression(param, depth, blockParams);
    for (const pair of node.hash?.pairs ?? []) this.expression(pair.value, depth, blockParams);
    return helper;
  }

  private expression(node: Expression, depth: number, blockParams: Set<string>): void {
    if (node.type === 'PathExpression') this.path(node as hbs.AST.PathExpression, depth, blockParams);
    else if (node.type === 'SubExpression') this.call(node as hbs.AST.SubExpression, depth, blockParams);
  }

  private path(p: hbs.AST.PathExpression, depth: number, blockParams: Set<string>): void {
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
    if (p.depth === 0 && blockParams.has(head)) return;
    if (depth - p.depth === 0) this.variable(head, p);
  }

  private variable(name: string, node: Node): void {
    if (!this.result.variables.has(name)) this.result.variables.set(name, at(node));
  }

  private partial(node: hbs.AST.PartialStatement): void {
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
  }

  private problem(node: Node, code: TemplateProblem['code'], message: string, hint?: string): void {
    this.result.problems.push({ code, ...at(node), message, ...(hint ? { hint } : {}) });
  }
}

