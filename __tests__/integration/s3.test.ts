// The S3 Storage adapter against a real S3 server (s3rver), checked through an independent raw listing that hashes what is stored.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { PART_BYTES, S3Storage, createS3Storage, type S3BackendConfig } from '../../src/adapters/s3.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistrarError } from '../../src/errors.js';
import { startS3, type S3TestServer } from '../../test-support/s3.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let s3: S3TestServer;
const storages: S3Storage[] = [];
/** The bucket's real name: `registry` on s3rver, a unique name starting with it on a shared external server. */
let BUCKET = 'registry';

function storage(overrides: Partial<S3BackendConfig> = {}): S3Storage {
  const created = createS3Storage({
    name: 'primary',
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: s3.credentials,
    bucket: BUCKET,
    ...overrides,
  });
  storages.push(created);
  return created;
}

/** The error a promise rejects with (fails the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<RegistrarError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(RegistrarError);
  return outcome as RegistrarError;
}

beforeAll(async () => {
  s3 = await startS3();
  BUCKET = await s3.createBucket(BUCKET);
});

afterAll(async () => {
  for (const each of storages) each.destroy();
  await s3.close();
});

describe('S3Storage against s3rver', () => {
  it('puts an object that head reports with its size and sha256, and whose stored bytes hash the same', async () => {
    const store = storage({ prefix: 'put-head' });
    const small = new TextEncoder().encode('hello registrar');
    // Large enough that a streamed (aws-chunked) upload would have framing stored inside the object.
    const large = randomBytes(300 * 1024);

    await store.put('left-pad/1.0.0.tar.gz', small, { sha256Hex: sha256(small) });
    await store.put('left-pad/1.1.0.tar.gz', large, { sha256Hex: sha256(large) });

    const headSmall = await store.head('left-pad/1.0.0.tar.gz');
    expect(headSmall).toMatchObject({ key: 'left-pad/1.0.0.tar.gz', bytes: small.byteLength, sha256: sha256(small) });
    expect(headSmall?.lastModified).toBeInstanceOf(Date);
    expect(await store.head('left-pad/1.1.0.tar.gz')).toMatchObject({ bytes: large.byteLength, sha256: sha256(large) });

    expect(await s3.listRaw(BUCKET, 'put-head/')).toEqual([
      { key: 'put-head/left-pad/1.0.0.tar.gz', bytes: small.byteLength, sha256: sha256(small) },
      { key: 'put-head/left-pad/1.1.0.tar.gz', bytes: large.byteLength, sha256: sha256(large) },
    ]);
    expect(Buffer.from((await store.read('left-pad/1.1.0.tar.gz'))!).equals(large)).toBe(true);
  });

  it('puts a Uint8Array that is a view into a larger buffer without storing the bytes around it', async () => {
    const store = storage({ prefix: 'views' });
    const whole = randomBytes(4096);
    const view = new Uint8Array(whole.buffer, whole.byteOffset + 100, 1000);
    await store.put('view.tar.gz', view, { sha256Hex: sha256(view) });
    expect(await s3.listRaw(BUCKET, 'views/')).toEqual([{ key: 'views/view.tar.gz', bytes: 1000, sha256: sha256(view) }]);
  });

  it('overwrites on a re-put of the same key and refreshes its age', async () => {
    const store = storage({ prefix: 'reput' });
    const first = randomBytes(1000);
    const second = randomBytes(2000);
    await store.put('x.tar.gz', first, { sha256Hex: sha256(first) });
    const before = await store.head('x.tar.gz');
    // Last-Modified has one-second resolution.
    await sleep(1100);
    await store.put('x.tar.gz', second, { sha256Hex: sha256(second) });
    const after = await store.head('x.tar.gz');

    expect(after).toMatchObject({ bytes: 2000, sha256: sha256(second) });
    expect(after!.lastModified!.getTime()).toBeGreaterThan(before!.lastModified!.getTime());
    expect(await s3.listRaw(BUCKET, 'reput/')).toEqual([{ key: 'reput/x.tar.gz', bytes: 2000, sha256: sha256(second) }]);
  });

  it('copies server-side, keeping the bytes and the recorded sha256', async () => {
    const store = storage({ prefix: 'copy' });
    const body = randomBytes(50_000);
    await store.put('staging/p/1.0.0/abc.tar.gz', body, { sha256Hex: sha256(body) });
    await store.copy('staging/p/1.0.0/abc.tar.gz', 'p/1.0.0.tar.gz');

    expect(await store.head('p/1.0.0.tar.gz')).toMatchObject({ bytes: body.byteLength, sha256: sha256(body) });
    const raw = await s3.listRaw(BUCKET, 'copy/');
    expect(raw.map((o) => o.sha256)).toEqual([sha256(body), sha256(body)]);
  });

  it('copying a missing object is not-found', async () => {
    const error = await failure(storage({ prefix: 'copy-missing' }).copy('nope.tar.gz', 'there.tar.gz'));
    expect(error.kind).toBe('not-found');
  });

  it('deletes, and deleting a missing key succeeds', async () => {
    const store = storage({ prefix: 'delete' });
    const body = randomBytes(100);
    await store.put('gone.tar.gz', body, { sha256Hex: sha256(body) });
    await store.delete('gone.tar.gz');
    expect(await store.head('gone.tar.gz')).toBeUndefined();
    await expect(store.delete('gone.tar.gz')).resolves.toBeUndefined();
    await expect(store.delete('never-was.tar.gz')).resolves.toBeUndefined();
    expect(await s3.listRaw(BUCKET, 'delete/')).toEqual([]);
  });

  it('head and read of a missing key are undefined', async () => {
    const store = storage({ prefix: 'missing' });
    expect(await store.head('nothing.tar.gz')).toBeUndefined();
    expect(await store.read('nothing.tar.gz')).toBeUndefined();
  });

  it('lists every page, with keys relative to the prefix and the listing prefix', async () => {
    const store = storage({ prefix: 'paged/', pageSize: 2 });
    const names = ['a/1.tar.gz', 'a/2.tar.gz', 'a/3.tar.gz', 'a/4.tar.gz', 'a/5.tar.gz'];
    for (const name of names) await store.put(name, new TextEncoder().encode(name), { sha256Hex: sha256(new TextEncoder().encode(name)) });
    await store.put('b/other.tar.gz', new Uint8Array([1]), { sha256Hex: sha256(new Uint8Array([1])) });

    const listed = await store.list('a/');
    expect(listed.map((o) => o.key).sort()).toEqual(names);
    expect(listed.every((o) => o.bytes === 10 && o.lastModified instanceof Date)).toBe(true);
    expect((await store.list('')).map((o) => o.key).sort()).toEqual([...names, 'b/other.tar.gz']);
  });

  it('pages through an injected client, one ListObjectsV2 request per page', async () => {
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      credentials: s3.credentials,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    let listRequests = 0;
    client.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'ListObjectsV2Command') listRequests += 1;
        return next(args);
      },
      { step: 'initialize' },
    );
    const store = new S3Storage({ name: 'injected', region: s3.region, bucket: BUCKET, prefix: 'injected', pageSize: 2 }, client);
    storages.push(store);
    for (let i = 1; i <= 5; i++) await store.put(`k${i}`, new Uint8Array([i]), { sha256Hex: sha256(new Uint8Array([i])) });

    expect((await store.list('')).map((o) => o.key).sort()).toEqual(['k1', 'k2', 'k3', 'k4', 'k5']);
    expect(listRequests).toBe(3);
  });

  it('keeps two prefixes in one bucket apart, and normalises slashes in the prefix', async () => {
    const one = storage({ prefix: 'tenants/one', pageSize: 2 });
    const oneSlashed = storage({ prefix: '/tenants/one/' });
    const two = storage({ prefix: 'tenants/one-two' });
    await one.put('p/1.0.0.tar.gz', new Uint8Array([1, 2, 3]), { sha256Hex: sha256(new Uint8Array([1, 2, 3])) });
    await two.put('q/1.0.0.tar.gz', new Uint8Array([4, 5]), { sha256Hex: sha256(new Uint8Array([4, 5])) });

    expect((await one.list('')).map((o) => o.key)).toEqual(['p/1.0.0.tar.gz']);
    expect((await two.list('')).map((o) => o.key)).toEqual(['q/1.0.0.tar.gz']);
    expect(await two.head('p/1.0.0.tar.gz')).toBeUndefined();
    expect(await oneSlashed.head('p/1.0.0.tar.gz')).toMatchObject({ bytes: 3 });
    expect((await s3.listRaw(BUCKET, 'tenants/')).map((o) => o.key)).toEqual([
      'tenants/one-two/q/1.0.0.tar.gz',
      'tenants/one/p/1.0.0.tar.gz',
    ]);
  });

  it('round-trips keys that need URL encoding through put, copy, head, read and list', async () => {
    const store = storage({ prefix: 'odd keys', publicUrl: 'https://cdn.example.org/files/' });
    const body = randomBytes(777);
    const from = 'staging/@scope/pkg+extra/1.0.0 beta.tar.gz';
    const to = '@scope/pkg+extra/1.0.0 beta.tar.gz';
    await store.put(from, body, { sha256Hex: sha256(body) });
    await store.copy(from, to);

    expect(await store.head(to)).toMatchObject({ key: to, bytes: 777, sha256: sha256(body) });
    expect(Buffer.from((await store.read(to))!).equals(body)).toBe(true);
    expect((await store.list('')).map((o) => o.key).sort()).toEqual([to, from].sort());
    expect((await store.list('@scope/')).map((o) => o.key)).toEqual([to]);
    expect(await s3.listRaw(BUCKET, 'odd keys/')).toEqual(
      [`odd keys/${from}`, `odd keys/${to}`].sort().map((key) => ({ key, bytes: 777, sha256: sha256(body) })),
    );
    expect(store.publicUrl(to)).toBe('https://cdn.example.org/files/odd%20keys/%40scope/pkg%2Bextra/1.0.0%20beta.tar.gz');
    expect(storage().publicUrl(to)).toBeUndefined();
  });

  it('a missing bucket is not-found, naming the bucket', async () => {
    const store = storage({ bucket: 'no-such-bucket' });
    const body = new Uint8Array([1]);
    // Each request starts only when the previous one's failure was examined: an eager promise would reject unobserved.
    for (const attempt of [() => store.put('k.tar.gz', body, { sha256Hex: sha256(body) }), () => store.list(''), () => store.read('k.tar.gz')]) {
      const error = await failure(attempt());
      expect(error.kind).toBe('not-found');
      expect(error.message).toContain('no-such-bucket');
      expect(error.cause).toBeDefined();
    }
  });

  it('wrong credentials are refused, with a hint about the backend and without the secret', async () => {
    const store = storage({ name: 'mirror', credentials: { accessKeyId: 'WRONG', secretAccessKey: 'sup3r-s3cret' } });
    const error = await failure(store.head('k.tar.gz').then(() => store.list('')));
    expect(error.kind).toBe('refused');
    expect(error.hint).toContain('mirror');
    expect(`${error.message} ${error.hint}`).not.toContain('sup3r-s3cret');
  });

  it('a stopped server is transient, naming backend, operation and key but not the secret', async () => {
    const doomed = await startS3();
    const store = createS3Storage({
      name: 'doomed',
      endpoint: doomed.endpoint,
      region: doomed.region,
      bucket: 'doomed-bucket',
      credentials: doomed.credentials,
    });
    storages.push(store);
    try {
      await doomed.createBucket('doomed-bucket');
      await store.put('k.tar.gz', new Uint8Array([1]), { sha256Hex: sha256(new Uint8Array([1])) });
    } finally {
      await doomed.close();
    }

    const error = await failure(store.head('k.tar.gz'));
    expect(error.kind).toBe('transient');
    expect(error.message).toContain('doomed');
    expect(error.message).toContain('head');
    expect(error.message).toContain('k.tar.gz');
    expect(error.message).not.toContain(doomed.credentials.secretAccessKey);
    expect(error.cause).toBeDefined();
    expect((await failure(store.put('k.tar.gz', new Uint8Array([1]), { sha256Hex: 'x' }))).kind).toBe('transient');
  });

  it('a server that never answers is transient once requestTimeoutMs passes', async () => {
    const silent: Server = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const store = createS3Storage({
        name: 'slow',
        endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        region: 'us-east-1',
        bucket: 'slow-bucket',
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        requestTimeoutMs: 200,
      });
      storages.push(store);
      const started = Date.now();
      const error = await failure(store.read('k.tar.gz'));
      expect(error.kind).toBe('transient');
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

/**
 * A pass-through proxy in front of the S3 server that remembers each request's method, path and If-Match
 * header (the Host header is kept, so SigV4 still verifies); `answer` may reply in the server's place.
 */
async function recordingProxy(target: string, answer?: (method: string, path: string) => { status: number; body: string } | undefined,
  options: { etag?: string } = {}) {
  const seen: Array<{ method: string; path: string; ifMatch: string | undefined }> = [];
  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    seen.push({ method, path, ifMatch: req.headers['if-match'] as string | undefined });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const canned = answer?.(method, path);
      if (canned) {
        res.writeHead(canned.status, { 'content-type': 'application/xml', 'x-amz-request-id': 'PROXY' });
        res.end(canned.body);
        return;
      }
      // node:http, not fetch: fetch would replace the Host header that the request's signature covers.
      const upstream = request(`${target}${path}`, { method, headers: req.headers }, (answer) => {
        // A server whose entity tags are not md5s (a bucket encrypting with KMS, some S3-compatible servers).
        if (options.etag !== undefined && answer.headers.etag !== undefined) answer.headers.etag = options.etag;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('conditional deletes of final objects (rule 5)', () => {
  it('head reports the ETag, and a delete given it sends If-Match with exactly that value', async () => {
    const proxy = await recordingProxy(s3.endpoint);
    try {
      const store = storage({ prefix: 'if-match', endpoint: proxy.url });
      const body = randomBytes(64);
      await store.put('pkg/1.0.0.tar.gz', body, { sha256Hex: sha256(body) });
      const head = await store.head('pkg/1.0.0.tar.gz');
      expect(head?.etag).toMatch(/^"[^"]+"$/);
      await store.delete('pkg/1.0.0.tar.gz', { etag: head!.etag! });
      await store.delete('pkg/other.tar.gz');
      const deletes = proxy.seen.filter((r) => r.method === 'DELETE');
      expect(deletes.map((r) => [decodeURIComponent(r.path.split('?')[0]!), r.ifMatch])).toEqual([
        [`/${BUCKET}/if-match/pkg/1.0.0.tar.gz`, head!.etag],
        [`/${BUCKET}/if-match/pkg/other.tar.gz`, undefined],
      ]);
      // The server accepted the conditional request: the object is gone.
      expect(await s3.listRaw(BUCKET, 'if-match/')).toEqual([]);
      // A conditional delete of a key that is already gone still succeeds (a retry after a lost answer).
      await expect(store.delete('pkg/1.0.0.tar.gz', { etag: head!.etag! })).resolves.toBeUndefined();
    } finally {
      await proxy.close();
    }
  });

  it('a 412 Precondition Failed answer (the key now holds another object) is a conflict naming the key', async () => {
    const body412 = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code>'
      + '<Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-Match</Condition>'
      + '<RequestId>PROXY</RequestId><HostId>proxy</HostId></Error>';
    const proxy = await recordingProxy(s3.endpoint, (method) => (method === 'DELETE' ? { status: 412, body: body412 } : undefined));
    try {
      const store = storage({ prefix: 'if-match-412', endpoint: proxy.url });
      const body = randomBytes(64);
      await store.put('pkg/1.0.0.tar.gz', body, { sha256Hex: sha256(body) });
      const error = await failure(store.delete('pkg/1.0.0.tar.gz', { etag: '"0123456789abcdef0123456789abcdef"' }));
      expect({ kind: error.kind, reason: error.reason }).toEqual({ kind: 'conflict', reason: 'stale' });
      expect(error.message).toContain('delete of "if-match-412/pkg/1.0.0.tar.gz"');
      // Not retried: a failed precondition is an answer, not an accident.
      expect(proxy.seen.filter((r) => r.method === 'DELETE')).toHaveLength(1);
      expect((await s3.listRaw(BUCKET, 'if-match-412/')).map((o) => o.key)).toEqual(['if-match-412/pkg/1.0.0.tar.gz']);
    } finally {
      await proxy.close();
    }
  });

  it('on this server, a delete whose ETag no longer matches: s3rver ignores If-Match, radosgw answers for itself', async () => {
    const store = storage({ prefix: 'if-match-stale' });
    const first = randomBytes(64);
    await store.put('pkg/1.0.0.tar.gz', first, { sha256Hex: sha256(first) });
    const etag = (await store.head('pkg/1.0.0.tar.gz'))!.etag!;
    const second = randomBytes(64);
    await store.put('pkg/1.0.0.tar.gz', second, { sha256Hex: sha256(second) });
    expect((await store.head('pkg/1.0.0.tar.gz'))!.etag).not.toBe(etag);
    const outcome = await store.delete('pkg/1.0.0.tar.gz', { etag }).then(() => 'deleted', (e: unknown) => (e as RegistrarError).kind);
    const left = (await s3.listRaw(BUCKET, 'if-match-stale/')).map((o) => o.sha256);
    if (process.env['SHOW_S3_CONDITIONS']) process.stdout.write(`${s3.kind}: stale If-Match delete → ${outcome}, left ${left.length}\n`);
    if (s3.kind === 's3rver') {
      // TOOLCHAIN.md: s3rver ignores conditional headers, so it deletes the newer object. This is what the
      // HEAD-verify before every delete of a final object is for; only a server that enforces If-Match closes the race.
      expect({ outcome, left }).toEqual({ outcome: 'deleted', left: [] });
    } else {
      // An enforcing server keeps the newer object and answers 412 (conflict); one that ignores the header deletes it.
      expect([{ outcome: 'conflict', left: [sha256(second)] }, { outcome: 'deleted', left: [] }]).toContainEqual({ outcome, left });
    }
  });
});

describe('writes proven by their own answers (fewest round trips)', () => {
  const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'registrar-s3-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('bytes in memory: the answer\'s entity tag is their md5, so the receipt is verified', async () => {
    const store = storage({ prefix: 'receipt-memory' });
    const body = randomBytes(10_000);
    const receipt = await store.put('k.tar.gz', body, { sha256Hex: sha256(body) });
    expect(receipt).toEqual({ etag: `"${md5(body)}"`, verified: true });
  });

  it('a file of one part goes up streamed as a single PUT, verified, and stored byte for byte', async () => {
    const store = storage({ prefix: 'receipt-file' });
    const body = randomBytes(700_000);
    const file = join(dir, 'one.tar.gz');
    await writeFile(file, body);
    const receipt = await store.put('one.tar.gz', { file, bytes: body.length }, { sha256Hex: sha256(body), md5Hex: md5(body) });
    expect(receipt).toEqual({ etag: `"${md5(body)}"`, verified: true });
    expect(await s3.listRaw(BUCKET, 'receipt-file/')).toEqual([{ key: 'receipt-file/one.tar.gz', bytes: body.length, sha256: sha256(body) }]);
    expect(await store.head('one.tar.gz')).toMatchObject({ bytes: body.length, sha256: sha256(body) });
  });

  it('a file over one part goes up multipart; the tag predicted from the bytes as they left matches the answer', async () => {
    const store = storage({ prefix: 'receipt-multipart' });
    const body = randomBytes(PART_BYTES + 123_457);
    const file = join(dir, 'two.tar.gz');
    await writeFile(file, body);
    const receipt = await store.put('two.tar.gz', { file, bytes: body.length }, { sha256Hex: sha256(body), md5Hex: md5(body) });
    const parts = [body.subarray(0, PART_BYTES), body.subarray(PART_BYTES)].map((p) => createHash('md5').update(p).digest());
    // S3 and radosgw answer the multipart tag; s3rver the md5 of the whole body. Both prove the bytes; nothing else does.
    expect([`"${createHash('md5').update(Buffer.concat(parts)).digest('hex')}-2"`, `"${md5(body)}"`]).toContain(receipt.etag);
    expect(receipt.verified).toBe(true);
    expect(await s3.listRaw(BUCKET, 'receipt-multipart/')).toEqual([{ key: 'receipt-multipart/two.tar.gz', bytes: body.length, sha256: sha256(body) }]);
  });

  it('an answer whose tag is not the md5 of what was sent proves nothing: the receipt is not verified', async () => {
    const proxy = await recordingProxy(s3.endpoint, undefined, { etag: '"3858f62230ac3c915f300c664312c63f-1"' });
    try {
      const store = storage({ prefix: 'receipt-foreign', endpoint: proxy.url });
      const body = randomBytes(1_000);
      expect(await store.put('k.tar.gz', body, { sha256Hex: sha256(body) })).toEqual({ etag: '"3858f62230ac3c915f300c664312c63f-1"', verified: false });
      const file = join(dir, 'foreign.tar.gz');
      await writeFile(file, body);
      expect((await store.put('f.tar.gz', { file, bytes: body.length }, { sha256Hex: sha256(body) })).verified).toBe(false);
    } finally {
      await proxy.close();
    }
  });

  it('a copy is verified only when its tag is the one the caller saw at the source', async () => {
    const store = storage({ prefix: 'receipt-copy' });
    const body = randomBytes(5_000);
    const staged = await store.put('staging/p/1.0.0/x.tar.gz', body, { sha256Hex: sha256(body) });
    expect(await store.copy('staging/p/1.0.0/x.tar.gz', 'p/1.0.0.tar.gz', { etag: staged.etag! })).toEqual({ etag: staged.etag, verified: true });
    expect((await store.copy('staging/p/1.0.0/x.tar.gz', 'p/1.0.1.tar.gz', { etag: '"0123"' })).verified).toBe(false);
    expect((await store.copy('staging/p/1.0.0/x.tar.gz', 'p/1.0.2.tar.gz')).verified).toBe(false);
  });

  it('digest hashes the stored bytes as they stream and names the tag of exactly what it read; a missing key is undefined', async () => {
    const store = storage({ prefix: 'digest' });
    const body = randomBytes(3 * 1024 * 1024 + 5);
    const { etag } = await store.put('d.tar.gz', body, { sha256Hex: 'recorded-not-trusted' });
    expect(await store.digest('d.tar.gz')).toEqual({ bytes: body.length, sha256Hex: sha256(body), etag });
    expect(await store.digest('missing.tar.gz')).toBeUndefined();
  });
});
