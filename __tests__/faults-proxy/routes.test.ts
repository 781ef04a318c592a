// Route names for fault plans: every S3 operation Registrar uses, sent by the real SDK through the proxy, and the key classes that keep routes free of package names.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes, createHash } from 'node:crypto';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { startS3, type S3TestServer } from '../../test-support/s3.js';
import { FaultPlan, githubRoute, s3KeyClass, s3Route, startFaultProxy, type ClassifiedRequest, type FaultProxy } from '../../test-support/faults/index.js';

const BUCKET = 'routes-bucket';
const HEX = 'ab'.repeat(32);

let s3: S3TestServer;
let proxy: FaultProxy;
const plan = new FaultPlan();
let client: S3Client;

function s3Client(maxAttempts: number): S3Client {
  return new S3Client({
    endpoint: proxy.url,
    region: s3.region,
    credentials: s3.credentials,
    forcePathStyle: true,
    maxAttempts,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

beforeAll(async () => {
  s3 = await startS3();
  proxy = await startFaultProxy({ name: 's3', target: s3.endpoint, plan, classify: s3Route });
  client = s3Client(1);
});

beforeEach(() => plan.set([]));

afterAll(async () => {
  client?.destroy();
  await proxy?.close();
  await s3?.close();
});

function request(method: string, path: string, options: { headers?: Record<string, string>; body?: string } = {}): ClassifiedRequest {
  return { method, url: new URL(path, 'http://127.0.0.1:1'), headers: options.headers ?? {}, body: Buffer.from(options.body ?? '') };
}

describe('s3Route through the real SDK', () => {
  it('names each operation Registrar uses, and the bucket operations', async () => {
    const staging = `staging/left-pad/1.2.0/${HEX}.tar.gz`;
    const final = 'left-pad/1.2.0.tar.gz';
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await client.send(new HeadBucketCommand({ Bucket: BUCKET }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: staging, Body: Buffer.from('tarball') }));
    await client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: final, CopySource: `${BUCKET}/${staging}`, MetadataDirective: 'COPY' }));
    await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: final }))).Body?.transformToString();
    await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'staging/left-pad/1.2.0/' }));
    await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'staging/' }));
    await client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'left-pad/' }));
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: staging }));
    await client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: final }] } }));
    expect(plan.log.map((r) => [r.route, r.status])).toEqual([
      [`PUT s3:CreateBucket ${BUCKET}/other`, 200],
      [`HEAD s3:HeadBucket ${BUCKET}/other`, 200],
      [`PUT s3:PutObject ${BUCKET}/staging`, 200],
      [`PUT s3:CopyObject ${BUCKET}/final`, 200],
      [`GET s3:GetObject ${BUCKET}/final`, 200],
      [`GET s3:ListObjectsV2 ${BUCKET}/list:staging`, 200],
      [`GET s3:ListObjectsV2 ${BUCKET}/list:staging`, 200],
      [`GET s3:ListObjectsV2 ${BUCKET}/list:all`, 200],
      [`GET s3:ListObjectsV2 ${BUCKET}/list:other`, 200],
      [`DELETE s3:DeleteObject ${BUCKET}/staging`, 204],
      [`POST s3:DeleteObjects ${BUCKET}/final`, 200],
    ]);
    expect(await s3.listRaw(BUCKET)).toEqual([]);
  });

  it('gives the same route to the same kind of request for another package, version and hash', async () => {
    for (const [name, version] of [['a-pkg', '0.0.1'], ['zeta', '10.2.3-beta.1']] as const) {
      const hex = createHash('sha256').update(name).digest('hex');
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `staging/${name}/${version}/${hex}.tar.gz`, Body: Buffer.from(name) }));
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${name}/${version}.tar.gz`, Body: Buffer.from(name) }));
    }
    expect(plan.log.map((r) => `${r.route} #${r.occurrence}`)).toEqual([
      `PUT s3:PutObject ${BUCKET}/staging #1`,
      `PUT s3:PutObject ${BUCKET}/final #1`,
      `PUT s3:PutObject ${BUCKET}/staging #2`,
      `PUT s3:PutObject ${BUCKET}/final #2`,
    ]);
  });

  it("counts the SDK's own retry of a refused request as the route's next occurrence", async () => {
    const retrying = s3Client(3);
    try {
      const key = `staging/retried/1.0.0/${HEX}.tar.gz`;
      plan.set([{ route: `PUT s3:PutObject ${BUCKET}/staging`, occurrence: 1, mode: 'refuse' }]);
      await retrying.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.from('second try') }));
      expect(plan.log.map((r) => [r.occurrence, r.outcome])).toEqual([
        [1, 'refused'],
        [2, 'passed'],
      ]);
      expect((await s3.listRaw(BUCKET, key)).map((o) => o.key)).toEqual([key]);
    } finally {
      retrying.destroy();
    }
  });

  it('passes a body of several MB with its signature and bytes intact', async () => {
    const bytes = randomBytes(5 * 1024 * 1024 + 17);
    const key = `staging/big/1.0.0/${HEX}.tar.gz`;
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bytes, ContentLength: bytes.length }));
    const raw = (await s3.listRaw(BUCKET, key))[0];
    expect(raw?.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const back = await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToByteArray();
    expect(Buffer.from(back ?? []).equals(bytes)).toBe(true);
    expect(plan.log.map((r) => r.status)).toEqual([200, 200]);
  });
});

describe('s3Route examples', () => {
  it.each([
    ['PUT', `/b/staging/left-pad/1.2.0/${HEX}.tar.gz`, 'PUT s3:PutObject b/staging', {}],
    ['PUT', '/b/left-pad/1.2.0.tar.gz', 'PUT s3:PutObject b/final', {}],
    ['PUT', '/b/left-pad/1.2.0.tar.gz', 'PUT s3:CopyObject b/final', { 'x-amz-copy-source': `b/staging/left-pad/1.2.0/${HEX}.tar.gz` }],
    ['HEAD', `/b/staging/left-pad/1.2.0/${HEX}.tar.gz`, 'HEAD s3:HeadObject b/staging', {}],
    ['HEAD', '/b/left-pad/1.2.0.tar.gz', 'HEAD s3:HeadObject b/final', {}],
    ['GET', '/b/left-pad/1.2.0.tar.gz', 'GET s3:GetObject b/final', {}],
    ['DELETE', `/b/staging/left-pad/1.2.0/${HEX}.tar.gz`, 'DELETE s3:DeleteObject b/staging', {}],
    ['DELETE', '/b/left-pad/1.2.0.tar.gz', 'DELETE s3:DeleteObject b/final', {}],
    // With a backend prefix, and with keys percent-encoded as the SDK sends them.
    ['PUT', `/b/mirror/staging/%40scope%2Bx/1.2.0%2Bbuild/${HEX}.tar.gz`, 'PUT s3:PutObject b/staging', {}],
    ['GET', '/b/mirror/left-pad/1.2.0.tar.gz', 'GET s3:GetObject b/final', {}],
    // Keys Registrar does not write.
    ['GET', '/b/README.md', 'GET s3:GetObject b/other', {}],
    ['GET', '/b/staging/left-pad/1.2.0.tar.gz', 'GET s3:GetObject b/other', {}],
    ['GET', '/b/staging/left-pad/1.2.0/not-hex.tar.gz', 'GET s3:GetObject b/other', {}],
    // Listings, by the class of their prefix.
    ['GET', '/b?list-type=2&prefix=staging%2Fleft-pad%2F1.2.0%2F', 'GET s3:ListObjectsV2 b/list:staging', {}],
    ['GET', '/b?list-type=2&prefix=mirror%2Fstaging%2F', 'GET s3:ListObjectsV2 b/list:staging', {}],
    ['GET', '/b?list-type=2', 'GET s3:ListObjectsV2 b/list:all', {}],
    ['GET', '/b?list-type=2&prefix=left-pad%2F', 'GET s3:ListObjectsV2 b/list:other', {}],
    // Bucket operations and the rest.
    ['PUT', '/b', 'PUT s3:CreateBucket b/other', {}],
    ['HEAD', '/b', 'HEAD s3:HeadBucket b/other', {}],
    ['GET', '/b', 'GET s3:other b/other', {}],
    ['POST', '/b/left-pad/1.2.0.tar.gz?uploads', 'POST s3:other b/final', {}],
    ['PUT', '/b/left-pad/1.2.0.tar.gz?partNumber=1&uploadId=x', 'PUT s3:other b/final', {}],
    ['GET', '/', 'GET s3:other /other', {}],
  ])('%s %s → %s', (method, path, route, headers) => {
    expect(s3Route(request(method, path, { headers }))).toBe(route);
  });

  it('classes DeleteObjects by the keys in its body: one class, or other when they mix', () => {
    const body = (...keys: string[]) => `<Delete>${keys.map((k) => `<Object><Key>${k}</Key></Object>`).join('')}</Delete>`;
    const staging = (n: number) => `staging/p/1.0.0/${String(n).repeat(64)}.tar.gz`;
    expect(s3Route(request('POST', '/b?delete', { body: body(staging(1), staging(2)) }))).toBe('POST s3:DeleteObjects b/staging');
    expect(s3Route(request('POST', '/b?delete', { body: body('p/1.0.0.tar.gz') }))).toBe('POST s3:DeleteObjects b/final');
    expect(s3Route(request('POST', '/b?delete', { body: body(staging(1), 'p/1.0.0.tar.gz') }))).toBe('POST s3:DeleteObjects b/other');
    expect(s3KeyClass('a&amp;b/1.0.0.tar.gz')).toBe('final');
  });
});

describe('githubRoute examples', () => {
  const graphql = (query: string, operationName?: string) =>
    request('POST', '/graphql', { body: JSON.stringify({ query, ...(operationName ? { operationName } : {}) }) });

  it.each([
    ['GET', '/repos/acme/left-pad/git/ref/heads/main', 'GET /repos/{owner}/{repo}/git/ref/{ref}'],
    ['GET', '/repos/acme/left-pad/git/ref/tags/v1.2.0', 'GET /repos/{owner}/{repo}/git/ref/{ref}'],
    ['GET', '/repos/acme/left-pad/git/tags/0123456789abcdef0123456789abcdef01234567', 'GET /repos/{owner}/{repo}/git/tags/{tag_sha}'],
    ['GET', '/repos/r/r/contents/metadata/le/ft/left-pad.json?ref=abc', 'GET /repos/{owner}/{repo}/contents/{path}'],
    ['GET', '/repos/acme/left-pad/tarball/0123456789abcdef0123456789abcdef01234567', 'GET /repos/{owner}/{repo}/tarball/{ref}'],
    ['POST', '/repos/r/r/issues/42/comments', 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments'],
    ['PATCH', '/repos/r/r/issues/comments/1234', 'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}'],
    ['PATCH', '/repos/r/r/issues/42', 'PATCH /repos/{owner}/{repo}/issues/{issue_number}'],
    ['POST', '/repos/r/r/issues/42/reactions', 'POST /repos/{owner}/{repo}/issues/{issue_number}/reactions'],
    ['GET', '/repositories/1234/contents/x.json', 'GET /repositories/{repository_id}/contents/{path}'],
    ['GET', '/_codeload/acme/left-pad/legacy.tar.gz/0123456789abcdef0123456789abcdef01234567', 'GET codeload:/{owner}/{repo}/legacy.tar.gz/{sha}'],
    ['GET', '/_raw/acme/left-pad/0123456789abcdef0123456789abcdef01234567/a/b.js', 'GET raw:/{owner}/{repo}/{sha}/{path}'],
    ['GET', '/nowhere/at/all', 'GET unknown:/nowhere/at/all'],
  ])('%s %s → %s', (method, path, route) => {
    expect(githubRoute(request(method, path))).toBe(route);
  });

  it('names GraphQL by the first root field of the operation that runs', () => {
    expect(githubRoute(graphql('mutation C($input: CreateCommitOnBranchInput!) { createCommitOnBranch(input: $input) { commit { oid } } }'))).toBe(
      'POST graphql:createCommitOnBranch',
    );
    expect(githubRoute(graphql('query { repository(owner: "a", name: "b") { id } viewer { login } }'))).toBe('POST graphql:repository');
    expect(githubRoute(graphql('query A { viewer { login } } query B { repository(owner: "a", name: "b") { id } }', 'B'))).toBe(
      'POST graphql:repository',
    );
    expect(githubRoute(graphql('this is not graphql'))).toBe('POST graphql:unknown');
    expect(githubRoute(request('POST', '/graphql', { body: 'not json' }))).toBe('POST graphql:unknown');
  });
});
