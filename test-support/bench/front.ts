// A streaming pass-through in front of the GitHub emulator that tells the bench when the source archive has been sent, and can serve a generated archive in the emulator's place.
import { createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The emulator's archive download path (its tarball endpoint redirects here). */
const CODELOAD = /^\/_codeload\/[^/]+\/[^/]+\/legacy\.tar\.gz\/[0-9a-f]{40}$/;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

export interface BenchFront {
  /** `http://127.0.0.1:<port>`: the GitHub API URL to give the action (or a fault proxy's target). */
  readonly url: string;
  /** Called each time an archive answer has been written completely. */
  onArchiveSent(fn: () => void): void;
  /** Serves every archive download from `make()` (a fresh stream each time) instead of the emulator; undefined restores it. */
  replaceArchive(make: (() => Readable) | undefined): void;
  close(): Promise<void>;
}

/**
 * Unlike the fault and attack proxies, nothing here is buffered: a 1 GiB archive streams through, and request bodies
 * are piped, so the front adds no memory and only a loopback hop to each request.
 */
export async function startBenchFront(emulatorUrl: string): Promise<BenchFront> {
  const target = new URL(emulatorUrl);
  let self = '';
  let listeners: (() => void)[] = [];
  let replacement: (() => Readable) | undefined;
  const sockets = new Set<Socket>();
  // The emulator names itself in redirects and pagination links; a client following them must come back here.
  const rewrite = (value: string) => value.split(target.origin).join(self);

  const sent = (res: ServerResponse) => res.on('finish', () => { for (const fn of listeners) fn(); });

  const serveGenerated = async (make: () => Readable, res: ServerResponse) => {
    sent(res);
    // No content-length: the archive is generated as it goes, so the answer is chunked, as codeload's often is.
    res.writeHead(200, { 'content-type': 'application/x-gzip' });
    await pipeline(make(), res);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const archive = CODELOAD.test(path);
    if (archive && replacement) {
      req.resume();
      serveGenerated(replacement, res).catch(() => res.destroy());
      return;
    }
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (answer) => {
      const out: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value === undefined || HOP_BY_HOP.has(name)) continue;
        out[name] = (name === 'location' || name === 'link') && typeof value === 'string' ? rewrite(value) : value;
      }
      if (archive) sent(res);
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, out);
      pipeline(answer, res).catch(() => res.destroy());
    });
    upstream.on('error', () => res.destroy());
    pipeline(req, upstream).catch(() => res.destroy());
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  self = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: self,
    onArchiveSent(fn) { listeners.push(fn); },
    replaceArchive(make) { replacement = make; },
    close: async () => {
      listeners = [];
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
