#!/usr/bin/env node
// Smoke test for the radosgw test cluster started by scripts/rgw/start.sh.
//
//   node scripts/rgw/smoke.mjs [DIR]     (DIR defaults to /tmp/registrar-rgw)
//
// Reads DIR/env (REGISTRAR_S3_*), runs the S3 calls Registrar relies on, prints
// one line per check and `rgw smoke: N passed, M failed`; exits 1 on any
// failure. Lines starting with "probe:" report behaviour worth knowing but do
// not count as checks. Also prints timings (cluster start, first
// CreateBucket, median small-PUT latency).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import {
  S3Client,
  CreateBucketCommand,
  DeleteBucketCommand,
  PutObjectCommand,
  HeadObjectCommand,
  GetObjectCommand,
  CopyObjectCommand,
  ListObjectsV2Command,
  DeleteObjectCommand,
  DeleteObjectsCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';

const dir = process.argv[2] ?? process.env.REGISTRAR_RGW_DIR ?? '/tmp/registrar-rgw';
const env = Object.fromEntries(
  readFileSync(`${dir}/env`, 'utf8')
    .split('\n')
    .filter((l) => l.includes('='))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

const makeClient = (region = env.REGISTRAR_S3_REGION) =>
  new S3Client({
    endpoint: env.REGISTRAR_S3_ENDPOINT,
    region,
    credentials: {
      accessKeyId: env.REGISTRAR_S3_ACCESS_KEY_ID,
      secretAccessKey: env.REGISTRAR_S3_SECRET_ACCESS_KEY,
    },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1, // a smoke test should see the server's first answer
  });
const s3 = makeClient();

const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const status = (e) => e?.$metadata?.httpStatusCode;
const describe = (e) => `${e?.name ?? 'Error'} ${status(e) ?? ''} ${e?.message ?? e}`.trim();
const ms = (t0) => (performance.now() - t0).toFixed(1);

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    const detail = await fn();
    passed++;
    console.log(`ok   ${name}${detail ? ` (${detail})` : ''}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${describe(e)}`);
  }
}
async function probe(name, fn) {
  try {
    console.log(`probe: ${name}: ${await fn()}`);
  } catch (e) {
    console.log(`probe: ${name}: threw ${describe(e)}`);
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
async function expectStatus(promise, code) {
  try {
    await promise;
  } catch (e) {
    if (status(e) === code) return `${code} ${e.name}`;
    throw e;
  }
  throw new Error(`expected HTTP ${code}, got success`);
}

const bucket = `registrar-smoke-${Date.now().toString(36)}-${process.pid}`;
const body = Buffer.from(`hello from registrar smoke ${new Date().toISOString()}\n`.repeat(20));
const bodyHash = sha256(body);

try {
  try {
    console.log(`timing: cluster start ${readFileSync(`${dir}/start-seconds`, 'utf8').trim()} s`);
  } catch {
    console.log('timing: cluster start unknown (no start-seconds file)');
  }

  await check('CreateBucket', async () => {
    const t0 = performance.now();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const t = ms(t0);
    console.log(`timing: first CreateBucket ${t} ms`);
    return bucket;
  });

  await check('PutObject (Buffer body, metadata sha256)', async () => {
    const r = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'a/obj.txt',
        Body: body,
        ContentType: 'text/plain',
        Metadata: { sha256: bodyHash },
      }),
    );
    assert(r.ETag, 'no ETag');
    return `ETag ${r.ETag}`;
  });

  await check('HeadObject returns ContentLength and metadata', async () => {
    const r = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'a/obj.txt' }));
    assert(r.ContentLength === body.length, `ContentLength ${r.ContentLength} != ${body.length}`);
    assert(r.Metadata?.sha256 === bodyHash, `metadata ${JSON.stringify(r.Metadata)}`);
    return `${r.ContentLength} bytes`;
  });

  await check('GetObject bytes hash right', async () => {
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/obj.txt' }));
    const got = Buffer.from(await r.Body.transformToByteArray());
    assert(sha256(got) === bodyHash, `hash ${sha256(got)} != ${bodyHash}`);
    return 'sha256 matches';
  });

  await check('CopyObject MetadataDirective COPY keeps metadata', async () => {
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'b/copy.txt',
        CopySource: `${bucket}/a/obj.txt`,
        MetadataDirective: 'COPY',
      }),
    );
    const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'b/copy.txt' }));
    assert(h.Metadata?.sha256 === bodyHash, `metadata ${JSON.stringify(h.Metadata)}`);
    assert(h.ContentLength === body.length, `ContentLength ${h.ContentLength}`);
    return 'metadata kept';
  });

  await check('ListObjectsV2 MaxKeys 2 pages through 5 objects', async () => {
    const keys = ['list/1', 'list/2', 'list/3', 'list/4', 'list/5'];
    for (const k of keys) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: Buffer.from(k) }));
    }
    const seen = [];
    let token;
    let pages = 0;
    do {
      const r = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: 'list/', MaxKeys: 2, ContinuationToken: token }),
      );
      pages++;
      assert((r.Contents ?? []).length <= 2, `page of ${(r.Contents ?? []).length}`);
      seen.push(...(r.Contents ?? []).map((o) => o.Key));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
      assert(!r.IsTruncated || token, 'IsTruncated without NextContinuationToken');
      assert(pages <= 10, 'too many pages');
    } while (token);
    assert(JSON.stringify(seen) === JSON.stringify(keys), `keys ${JSON.stringify(seen)}`);
    return `${pages} pages`;
  });

  await check('DeleteObject (existing key)', async () => {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'b/copy.txt' }));
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'b/copy.txt' })), 404);
    return 'gone';
  });

  await check('DeleteObject (missing key) succeeds', async () => {
    const r = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'no/such/key' }));
    return `HTTP ${r.$metadata.httpStatusCode}`;
  });

  await check("PutObject IfNoneMatch '*' on a new key succeeds", async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'c/once', Body: Buffer.from('1'), IfNoneMatch: '*' }),
    );
  });

  await check("PutObject IfNoneMatch '*' on an existing key → 412", async () =>
    expectStatus(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'a/obj.txt', Body: Buffer.from('x'), IfNoneMatch: '*' })),
      412,
    ),
  );

  await check('PutObject IfMatch with a wrong ETag → 412', async () =>
    expectStatus(
      s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'a/obj.txt', Body: Buffer.from('x'), IfMatch: '"0123456789abcdef0123456789abcdef"' }),
      ),
      412,
    ),
  );

  await check('DeleteObjects (multi-delete, incl. a missing key)', async () => {
    const r = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: [{ Key: 'list/1' }, { Key: 'list/2' }, { Key: 'never/existed' }] },
      }),
    );
    assert(!(r.Errors ?? []).length, `errors ${JSON.stringify(r.Errors)}`);
    const left = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'list/' }));
    assert((left.Contents ?? []).length === 3, `left ${(left.Contents ?? []).length}`);
    return `${(r.Deleted ?? []).length} deleted`;
  });

  await check('lib-storage Upload, multipart (11 MiB stream, 5 MiB parts)', async () => {
    const big = Buffer.alloc(11 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
    const up = new Upload({
      client: s3,
      params: { Bucket: bucket, Key: 'big/blob', Body: Readable.from([big.subarray(0, 7e6), big.subarray(7e6)]) },
      partSize: 5 * 1024 * 1024,
    });
    await up.done();
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big/blob' }));
    const got = Buffer.from(await r.Body.transformToByteArray());
    assert(sha256(got) === sha256(big), 'multipart object hash differs');
    return `ETag ${r.ETag}`;
  });

  // Behaviour probes: reported, not counted.
  await probe('CopyObject with CopySourceIfMatch = wrong ETag', async () => {
    try {
      await s3.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: 'b/cond-copy',
          CopySource: `${bucket}/a/obj.txt`,
          CopySourceIfMatch: '"0123456789abcdef0123456789abcdef"',
        }),
      );
      return 'copied anyway (condition ignored)';
    } catch (e) {
      return `refused: ${describe(e)}`;
    }
  });
  await probe("CopyObject with IfNoneMatch '*' onto an existing key", async () => {
    try {
      await s3.send(
        new CopyObjectCommand({ Bucket: bucket, Key: 'c/once', CopySource: `${bucket}/a/obj.txt`, IfNoneMatch: '*' }),
      );
      return 'copied anyway (destination condition ignored)';
    } catch (e) {
      return `refused: ${describe(e)}`;
    }
  });
  await probe('CopyObject with the non-standard x-amz-copy-if-match = wrong ETag', async () => {
    const cmd = new CopyObjectCommand({ Bucket: bucket, Key: 'b/cond-copy2', CopySource: `${bucket}/a/obj.txt` });
    cmd.middlewareStack.add(
      (next) => async (args) => {
        args.request.headers['x-amz-copy-if-match'] = '"0123456789abcdef0123456789abcdef"';
        return next(args);
      },
      { step: 'build' },
    );
    try {
      await s3.send(cmd);
      return 'copied anyway';
    } catch (e) {
      return `refused: ${describe(e)}`;
    }
  });
  await probe('PutObject IfMatch = current ETag, quoted (as HeadObject returns it) / unquoted', async () => {
    const out = [];
    for (const quoted of [true, false]) {
      const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'c/once' }));
      const tag = quoted ? h.ETag : h.ETag.replace(/"/g, '');
      try {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'c/once', Body: Buffer.from(`v${quoted}`), IfMatch: tag }));
        out.push(`${quoted ? 'quoted' : 'unquoted'} accepted`);
      } catch (e) {
        out.push(`${quoted ? 'quoted' : 'unquoted'} refused ${status(e)}`);
      }
    }
    return out.join(', ');
  });
  await probe('PutObject with ChecksumSHA256 that does not match', async () => {
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'c/badsum',
          Body: Buffer.from('abc'),
          ChecksumSHA256: createHash('sha256').update('other').digest('base64'),
        }),
      );
      return 'accepted (checksum not verified)';
    } catch (e) {
      return `refused: ${describe(e)}`;
    }
  });
  await probe('bucket names', async () => {
    const tag = Date.now().toString(36);
    const names = [`Upper-${tag}`, `under_${tag}`, 'ab', `dots.${tag}.x`, `-dash-${tag}`, '192.168.5.4', `x${'y'.repeat(63)}`];
    const out = [];
    for (const name of names) {
      try {
        await s3.send(new CreateBucketCommand({ Bucket: name }));
        await s3.send(new DeleteBucketCommand({ Bucket: name }));
        out.push(`${name.length > 20 ? `${name.slice(0, 8)}…(${name.length})` : name} ok`);
      } catch (e) {
        out.push(`${name.length > 20 ? `${name.slice(0, 8)}…(${name.length})` : name} ${e.name}`);
      }
    }
    return out.join(', ');
  });
  await probe('client signing with region eu-west-1', async () => {
    const other = makeClient('eu-west-1');
    await other.send(new HeadObjectCommand({ Bucket: bucket, Key: 'a/obj.txt' }));
    let create;
    try {
      const name = `registrar-region-${Date.now().toString(36)}`;
      await other.send(new CreateBucketCommand({ Bucket: name }));
      await other.send(new DeleteBucketCommand({ Bucket: name }));
      create = 'CreateBucket accepted';
    } catch (e) {
      create = `CreateBucket refused: ${describe(e)}`;
    }
    return `HeadObject accepted; ${create}`;
  });

  await check('median small PUT latency over 50 PUTs', async () => {
    const times = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: `lat/${i}`, Body: Buffer.from(`small ${i}`), Metadata: { i: String(i) } }),
      );
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const median = (times[24] + times[25]) / 2;
    console.log(
      `timing: small PUT median ${median.toFixed(1)} ms (min ${times[0].toFixed(1)}, max ${times[49].toFixed(1)}) over 50`,
    );
    return `${median.toFixed(1)} ms`;
  });
} finally {
  // Empty and delete the bucket (DeleteBucket is itself a check).
  await check('DeleteBucket (after emptying)', async () => {
    let token;
    do {
      const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const o of r.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key }));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'a/obj.txt' })), 404);
  });
  console.log(`rgw smoke: ${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}
