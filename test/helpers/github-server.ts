import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';

export interface FakeComment {
  id: number;
  body: string;
  user: { login: string; type: string };
  created_at: string;
  updated_at: string;
  html_url: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body?: any;
}

export interface FakeGitHub {
  /** Base URL to pass as the API URL. */
  url: string;
  requests: RecordedRequest[];
  /** Comments per issue/PR number, oldest first. */
  comments: Map<number, FakeComment[]>;
  /** PR number → current head commit; only these PRs exist. */
  heads: Map<number, string>;
  addComment(pr: number, body: string, login?: string): FakeComment;
}

// Counted in UTF-16 code units, like the code under test: stricter than or equal to GitHub's count.
const COMMENT_LIMIT = 65_536;

/**
 * A loopback stand-in for the GitHub REST endpoints the sticky comment uses: list (paginated
 * with Link headers, as GitHub does), create, update and delete issue comments, and get a pull
 * request. Anything else is a 404; a wrong token is a 401. Closed when the test finishes.
 */
export async function fakeGitHub(options: { token: string; owner?: string; repo?: string; login?: string }): Promise<FakeGitHub> {
  const repoPath = `/repos/${options.owner ?? 'acme'}/${options.repo ?? 'app'}`;
  const requests: RecordedRequest[] = [];
  const comments = new Map<number, FakeComment[]>();
  const heads = new Map<number, string>();
  let nextId = 1000;
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const now = () => new Date((clock += 1000)).toISOString();

  const addComment = (pr: number, body: string, login = options.login ?? 'github-actions[bot]'): FakeComment => {
    const at = now();
    const id = nextId++;
    const comment = { id, body, user: { login, type: 'Bot' }, created_at: at, updated_at: at, html_url: `https://github.com${repoPath.slice(6)}/pull/${pr}#issuecomment-${id}` };
    comments.set(pr, [...(comments.get(pr) ?? []), comment]);
    return comment;
  };
  const findComment = (id: number) => [...comments.values()].flat().find((c) => c.id === id);

  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => {
      const url = new URL(req.url!, base);
      const body = text ? JSON.parse(text) : undefined;
      requests.push({ method: req.method!, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body });
      const auth = req.headers.authorization;
      if (auth !== `token ${options.token}` && auth !== `Bearer ${options.token}`) return send(res, 401, { message: 'Bad credentials' });

      const route = `${req.method} ${url.pathname.startsWith(`${repoPath}/`) ? url.pathname.slice(repoPath.length) : url.pathname}`;
      let m: RegExpExecArray | null;
      if ((m = /^GET \/pulls\/(\d+)$/.exec(route)) && heads.has(Number(m[1]))) {
        return send(res, 200, { number: Number(m[1]), state: 'open', head: { sha: heads.get(Number(m[1])) } });
      }
      if ((m = /^GET \/issues\/(\d+)\/comments$/.exec(route)) && heads.has(Number(m[1]))) {
        const all = comments.get(Number(m[1])) ?? [];
        const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
        const page = Number(url.searchParams.get('page') ?? 1);
        const last = Math.max(1, Math.ceil(all.length / perPage));
        const link = (p: number, rel: string) => `<${base}${url.pathname}?per_page=${perPage}&page=${p}>; rel="${rel}"`;
        const links = [page > 1 && link(page - 1, 'prev'), page < last && link(page + 1, 'next'), page < last && link(last, 'last'), page > 1 && link(1, 'first')];
        const header = links.filter(Boolean).join(', ');
        return send(res, 200, all.slice((page - 1) * perPage, page * perPage), header ? { link: header } : {});
      }
      if ((m = /^POST \/issues\/(\d+)\/comments$/.exec(route)) && heads.has(Number(m[1]))) {
        if (!validBody(res, body)) return;
        return send(res, 201, addComment(Number(m[1]), body.body));
      }
      if ((m = /^(PATCH|DELETE) \/issues\/comments\/(\d+)$/.exec(route)) && findComment(Number(m[2]))) {
        const comment = findComment(Number(m[2]))!;
        if (m[1] === 'DELETE') {
          for (const [pr, list] of comments) comments.set(pr, list.filter((c) => c !== comment));
          return send(res, 204);
        }
        if (!validBody(res, body)) return;
        Object.assign(comment, { body: body.body, updated_at: now() });
        return send(res, 200, comment);
      }
      send(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: base, requests, comments, heads, addComment };
}

function validBody(res: ServerResponse, body: any): boolean {
  if (typeof body?.body !== 'string') return send(res, 422, { message: 'Invalid request.\n\n"body" wasn\'t supplied.' }), false;
  if (body.body.length <= COMMENT_LIMIT) return true;
  send(res, 422, { message: 'Validation Failed', errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: `body is too long (maximum is ${COMMENT_LIMIT} characters)` }] });
  return false;
}

function send(res: ServerResponse, status: number, data?: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...(data === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }), ...headers });
  res.end(data === undefined ? undefined : JSON.stringify(data));
}
