// Downloads a repository's tarball at a ref: GitHub's API answers with a redirect, and the archive streams from the download host over node:http(s).
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { GitHubClient } from './client.js';

/** A download host may redirect again (GitHub's codeload does not, today); a loop is cut here. */
const MAX_HOPS = 3;
/** A download whose host goes silent this long fails (and is retried by the author) instead of holding the job. */
const IDLE_MS = 60_000;
/** Enough of an error answer's body to read GitHub's message; the rest is dropped. */
const ERROR_BODY_BYTES = 64 * 1024;

/**
 * The tarball as a byte stream. The API request goes through Octokit (token, retries, rate limits); the download
 * does not: the fetch that Octokit uses reads a large body through web streams whose pull re-reads the socket's whole
 * buffer each time (measured: 0.2 s of CPU per MiB once the consumer falls behind), while a plain HTTP response is
 * a Readable with ordinary backpressure. The redirect target carries its own authorisation, so no token follows it.
 * Failures look like Octokit's (`status`, `response`), so callers classify them with gitHubError as before.
 */
export async function downloadTarball(client: GitHubClient, owner: string, repo: string, ref: string): Promise<Readable> {
  const response = await client.request('GET /repos/{owner}/{repo}/tarball/{ref}', {
    owner, repo, ref, request: { redirect: 'manual', parseSuccessResponseBody: false },
  });
  const body = response.data as unknown as WebReadableStream<Uint8Array> | null;
  const location = (response.headers as Record<string, string | undefined>)['location'];
  if (response.status >= 300 && response.status < 400 && location) {
    await body?.cancel().catch(() => undefined);
    return get(new URL(location), MAX_HOPS);
  }
  if (!body) throw answered(response.status, response.headers as IncomingHttpHeaders, 'GitHub sent no archive');
  // Served directly (no redirect): stream the answer as it came.
  return Readable.fromWeb(body);
}

function get(url: URL, hops: number): Promise<Readable> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
    if (!send) {
      reject(new Error(`the archive download redirected to a ${url.protocol} URL`));
      return;
    }
    const request = send(url, { method: 'GET', headers: { 'user-agent': 'registrar', accept: 'application/octet-stream' } }, (answer) => {
      const status = answer.statusCode ?? 0;
      if (status >= 300 && status < 400 && answer.headers.location && hops > 0) {
        answer.resume();
        get(new URL(answer.headers.location, url), hops - 1).then(resolve, reject);
        return;
      }
      if (status < 200 || status >= 300) {
        errorBody(answer).then((text) => reject(answered(status, answer.headers, text)), reject);
        return;
      }
      resolve(answer);
    });
    request.setTimeout(IDLE_MS, () => request.destroy(new Error(`the download host sent nothing for ${IDLE_MS / 1000} s`)));
    request.on('error', reject);
    request.end();
  });
}

async function errorBody(answer: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of answer) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    // Enough to read the message: the rest of an error answer is not waited for (leaving the loop ends the download).
    if (size >= ERROR_BODY_BYTES) break;
  }
  return Buffer.concat(chunks).subarray(0, ERROR_BODY_BYTES).toString('utf8');
}

/** An answer shaped like Octokit's RequestError, so gitHubError reads the status and GitHub's message the same way. */
function answered(status: number, headers: IncomingHttpHeaders, text: string): Error {
  let data: unknown = { message: text };
  try {
    data = JSON.parse(text);
  } catch {
    // Not JSON: the text is the message.
  }
  return Object.assign(new Error(`the archive download answered ${status}`), { status, response: { status, headers, data } });
}
