// An HTTP proxy on 127.0.0.1 that forwards to one upstream and fails the requests a FaultPlan names: refused, lost after being applied, crashed, delayed, answered with the service's own error, or sent to a lagging replica.
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { graphqlError, githubSecondaryRateLimit, isGraphqlRoute, s3Error, serverError, serviceOf, type Answer } from './answers.js';
import { REPLICA_LAG_HEADER, type Arrival, type Fault, type FaultPlan, type ProxiedRequest } from './plan.js';
import type { Classifier } from './routes.js';

export interface FaultProxyOptions {
  /** Shows in the plan's log, e.g. `github` or `s3`. */
  name: string;
  /** The upstream's base URL (http only), e.g. the emulator's `url` or the S3 server's `endpoint`. */
  target: string;
  plan: FaultPlan;
  classify: Classifier;
  /** Awaited before a request is passed on (after the plan has judged it): a race test's gate can hold it here. */
  before?: (route: string) => Promise<void> | void;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: give it to the client instead of the target. */
  readonly url: string;
  close(): Promise<void>;
}

/** Hop-by-hop headers: they describe one connection, so they are not passed on (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

/** A request's whole body (both proxies hold a body before forwarding it, to fault or rewrite it). */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Ends the client's connection without an answer. A reset (RST), not a polite close, so the client sees
 * ECONNRESET at once, as when a server or the network between dies.
 */
function cut(socket: Socket): void {
  if (socket.destroyed) return;
  socket.resetAndDestroy();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Replaces the target's origin with the proxy's at the start of a URL, so a client following it stays on the proxy. */
function rewriteUrl(value: string, from: string, to: string): string {
  return value.startsWith(from) && (value.length === from.length || '/?#'.includes(value[from.length]!)) ? to + value.slice(from.length) : value;
}

function requestHeaders(headers: IncomingHttpHeaders, body: Buffer): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    // `expect: 100-continue` is answered by this proxy's server already; the whole body is sent at once upstream.
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'expect') continue;
    // Replica lag is the plan's to decide: a client's own header would make every read lag.
    if (name === REPLICA_LAG_HEADER) continue;
    // The Host header stays as the client sent it: S3's SigV4 signature covers it.
    out[name] = value;
  }
  // The body is buffered, so it goes upstream with a length (a chunked upload's framing was hop-by-hop).
  if (body.length > 0 || headers['content-length'] !== undefined) out['content-length'] = String(body.length);
  return out;
}

/** The answer a fault calls for, in the shape of the service the route belongs to. */
function answerFor(fault: Fault, method: string, route: string, body: Buffer): Answer {
  const s3 = serviceOf(route) === 's3';
  switch (fault.mode) {
    case 'rate-limited':
      return s3
        ? s3Error('SlowDown', method)
        : githubSecondaryRateLimit({ status: fault.rateLimitStatus ?? 403, retryAfterSeconds: fault.retryAfterSeconds ?? 1, graphql: isGraphqlRoute(route) });
    case 'graphql-error':
      return graphqlError(fault.graphqlType ?? 'FORBIDDEN', body, fault.retryAfterSeconds ?? 1);
    default:
      // status-5xx, and every occurrence of an exhausted run.
      return serverError(route, method);
  }
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const { name, plan, classify } = options;
  const target = new URL(options.target);
  if (target.protocol !== 'http:') throw new TypeError(`the fault proxy forwards to http:// targets only, not ${options.target}`);
  const targetOrigin = target.origin;
  let proxyOrigin = '';
  const sockets = new Set<Socket>();

  /** Sends the request upstream and resolves with the upstream's answer (headers received, body not yet read). */
  const forward = (req: IncomingMessage, body: Buffer, extra: OutgoingHttpHeaders = {}): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...requestHeaders(req.headers, body), ...extra },
          // A fresh connection per request: no pooled socket outlives the test or carries state between requests.
          agent: false,
        },
        resolve,
      );
      upstream.on('error', reject);
      upstream.end(body);
    });

  const responseHeaders = (headers: IncomingHttpHeaders): OutgoingHttpHeaders => {
    const out: OutgoingHttpHeaders = {};
    for (const [header, value] of Object.entries(headers)) {
      if (value === undefined || HOP_BY_HOP.has(header)) continue;
      if (header === 'location' && typeof value === 'string') out[header] = rewriteUrl(value, targetOrigin, proxyOrigin);
      // Pagination links (`<…>; rel="next"`) would otherwise lead a client around the proxy.
      else if (header === 'link' && typeof value === 'string') out[header] = value.split(targetOrigin).join(proxyOrigin);
      else out[header] = value;
    }
    // One request per connection: a reset then fails exactly one request, and no client retries it silently on a reused socket.
    out['connection'] = 'close';
    return out;
  };

  /** Handles one request; `seen.entry` is its log entry once it has one, for the caller's error path. */
  const handle = async (req: IncomingMessage, res: ServerResponse, seen: { entry?: ProxiedRequest }): Promise<void> => {
    const body = await readBody(req);
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', proxyOrigin);
    let route: string;
    try {
      route = classify({ method, url, headers: req.headers, body });
    } catch (error) {
      route = `${method} unclassified:${url.pathname} (${(error as Error).message})`;
    }
    const arrival: Arrival = plan.arrive(name, route);
    const { entry } = arrival;
    seen.entry = entry;
    if (arrival.action === 'refuse' || arrival.action === 'crash') return cut(req.socket);
    if (arrival.action === 'answer' && arrival.fault) {
      // Answered here, in the service's place: the upstream never sees the request.
      const answer = answerFor(arrival.fault, method, route, body);
      entry.status = answer.status;
      entry.answer = answer.name;
      res.writeHead(answer.status, { ...answer.headers, connection: 'close' });
      // A HEAD answer carries the headers only (RFC 9110 §9.3.2).
      res.end(method === 'HEAD' ? undefined : answer.body);
      return;
    }
    if (arrival.action === 'delay') {
      await sleep(arrival.delayMs);
      // The runner died while this request waited: it was never sent.
      if (plan.diedSince(arrival)) {
        entry.outcome = 'refused';
        return cut(req.socket);
      }
    }

    await options.before?.(route);
    let answer: IncomingMessage;
    try {
      // A lagging read reaches the emulator marked, so it answers as a replica one write behind would.
      answer = await forward(req, body, arrival.action === 'lag' ? { [REPLICA_LAG_HEADER]: '1' } : {});
    } catch (error) {
      // The upstream could not be reached: the client sees what it would see without a proxy, a failed connection.
      entry.error = `upstream: ${(error as Error).message}`;
      return cut(req.socket);
    }
    entry.status = answer.statusCode;
    const dead = plan.diedSince(arrival);
    if (arrival.action === 'lose' || dead) {
      // Read the whole answer first: the upstream has then finished applying the request.
      answer.resume();
      await new Promise<void>((resolve) => {
        answer.on('end', resolve);
        answer.on('error', () => resolve());
        answer.on('close', resolve);
      });
      if (dead) entry.outcome = 'lost';
      return cut(req.socket);
    }
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, responseHeaders(answer.headers));
    await pipeline(answer, res).catch((error: Error) => {
      entry.error = `while streaming the answer: ${error.message}`;
      cut(req.socket);
    });
  };

  const server = createServer((req, res) => {
    res.on('error', () => {});
    const seen: { entry?: ProxiedRequest } = {};
    handle(req, res, seen).catch((error: Error) => {
      // A client that went away mid-request, or a bug here: either way this connection is over.
      if (seen.entry && !seen.entry.error) seen.entry.error = error.message;
      cut(req.socket);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A reset connection can report an error on the server side too; it is expected, not a crash of the test process.
    socket.on('error', () => {});
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  proxyOrigin = `http://127.0.0.1:${port}`;

  return {
    url: proxyOrigin,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
