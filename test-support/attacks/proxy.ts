// An HTTP proxy in front of the GitHub emulator (or the S3 server) that lets an attack answer chosen requests itself: a hostile source archive, a repository shown as internal, an error quoting a secret.
import { createServer, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../faults/proxy.js';

export interface ProxiedRequest {
  method: string;
  /** The path and query, as the client sent them (still percent-encoded). */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

/** Answers a request itself (return an Answer) or lets it through (return undefined). */
export type Interceptor = (request: ProxiedRequest) => Answer | undefined;
/** Rewrites an upstream answer's body (return undefined to keep it). */
export type Mutator = (request: ProxiedRequest, status: number, body: Buffer) => Buffer | undefined;

export interface AttackProxy {
  /** `http://127.0.0.1:<port>`: give it to the action instead of the upstream. */
  readonly url: string;
  /** Every request seen, in order (method and url). */
  readonly seen: { method: string; url: string }[];
  intercept(fn: Interceptor): () => void;
  mutate(fn: Mutator): () => void;
  /** Removes every interceptor and mutator (between attacks). */
  reset(): void;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect']);

/** Forwards to `target` (http only); a redirect to the target is rewritten to come back through the proxy. */
export async function startAttackProxy(target: string): Promise<AttackProxy> {
  const upstream = new URL(target);
  let interceptors: Interceptor[] = [];
  let mutators: Mutator[] = [];
  const seen: { method: string; url: string }[] = [];
  let self = '';

  const forward = (request: ProxiedRequest, res: ServerResponse) => {
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(request.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    if (request.body.length > 0 || request.headers['content-length'] !== undefined) headers['content-length'] = String(request.body.length);
    const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        let body: Buffer = Buffer.concat(chunks);
        for (const mutate of mutators) body = mutate(request, answer.statusCode ?? 500, body) ?? body;
        const outHeaders: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value === undefined || HOP_BY_HOP.has(name) || name === 'content-length') continue;
          outHeaders[name] = name === 'location' && typeof value === 'string' && value.startsWith(upstream.origin) ? self + value.slice(upstream.origin.length) : value;
        }
        outHeaders['content-length'] = String(body.length);
        res.writeHead(answer.statusCode ?? 500, outHeaders);
        res.end(body);
      });
      answer.on('error', () => res.destroy());
    });
    out.on('error', () => res.destroy());
    out.end(request.body);
  };

  const server = createServer((req, res) => {
    readBody(req).then((body) => {
      const request: ProxiedRequest = { method: (req.method ?? 'GET').toUpperCase(), url: req.url ?? '/', headers: req.headers, body };
      seen.push({ method: request.method, url: request.url });
      for (const fn of interceptors) {
        const answer = fn(request);
        if (!answer) continue;
        const payload = answer.body === undefined ? Buffer.alloc(0) : Buffer.from(answer.body);
        res.writeHead(answer.status, { ...answer.headers, 'content-length': String(payload.length) });
        res.end(payload);
        return;
      }
      forward(request, res);
    }).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  self = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: self,
    seen,
    intercept(fn) {
      interceptors.push(fn);
      return () => { interceptors = interceptors.filter((f) => f !== fn); };
    },
    mutate(fn) {
      mutators.push(fn);
      return () => { mutators = mutators.filter((f) => f !== fn); };
    },
    reset() {
      interceptors = [];
      mutators = [];
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The path of a request without its query, decoded segment by segment (undefined when it does not decode). */
export function pathOf(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url, 'http://x').pathname);
  } catch {
    return undefined;
  }
}
