// Starts a real S3 server (s3rver) in-process for tests, and gives tests an eye on storage that does not go through Registrar's adapter.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';

/** The part of s3rver's API we use; s3rver ships no type declarations. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  vhostBuckets: boolean;
  resetOnClose: boolean;
}) => S3rverInstance;

export interface RawObject {
  key: string;
  bytes: number;
  /** Lower-case hex sha256 of the bytes actually read back from the server. */
  sha256: string;
}

export interface S3TestServer {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  region: 'us-east-1';
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Which server: the in-process s3rver, or an external one (radosgw) named by REGISTRAR_S3_ENDPOINT. */
  kind: 's3rver' | 'external';
  /** The directory s3rver stores buckets in (empty for an external server). */
  directory: string;
  /**
   * Creates a bucket and returns its real name: `name` itself on a private s3rver; on a shared external
   * server a unique name starting with `name`, so tests and worlds never see each other's buckets.
   */
  createBucket(name: string): Promise<string>;
  /** Writes or deletes an object behind Registrar's back, as a crash, a lifecycle rule or a person would. */
  putRaw(bucket: string, key: string, body: Uint8Array): Promise<void>;
  deleteRaw(bucket: string, key: string): Promise<void>;
  /** An object's bytes as the server holds them, read behind Registrar's back (undefined: no such key). */
  getRaw(bucket: string, key: string): Promise<Uint8Array | undefined>;
  /** Every object under `prefix` (all pages), each downloaded and hashed: the independent view of what is stored. */
  listRaw(bucket: string, prefix?: string): Promise<RawObject[]>;
  /** Stops the server; removes the directory when startS3 created it. Safe to call twice. */
  close(): Promise<void>;
}

// s3rver is CommonJS without types; loading it through require keeps the ESM test build and tsc both happy.
const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as S3rverConstructor;

// s3rver 3.7.1 decodes x-amz-copy-source with decodeURI, which leaves %40 (@), %2B (+) and the other reserved
// escapes encoded, so a correctly encoded CopySource (what real S3 expects) names a key that does not exist.
// We re-encode the header, after s3rver has checked the signature, so that its decodeURI yields the real key.
// The bug is s3rver's alone: real S3 reads the header as URL-encoded (percent-decoding every escape), and so does
// radosgw (RGWCopyObj::parse_copy_location url-decodes it), so production keys such as a scoped npm package's
// `@scope/name/1.0.0.tar.gz` stay exactly what they are; only this test server needs the fix.
interface CopyContext {
  headers: Record<string, string | string[] | undefined>;
}
const objectController = require('s3rver/lib/controllers/object.js') as {
  putObjectCopy: ((ctx: CopyContext) => Promise<void>) & { registrarPatched?: true };
};
if (!objectController.putObjectCopy.registrarPatched) {
  const original = objectController.putObjectCopy;
  const patched = async (ctx: CopyContext) => {
    const source = ctx.headers['x-amz-copy-source'];
    if (typeof source === 'string') ctx.headers['x-amz-copy-source'] = encodeURI(decodeURIComponent(source));
    return original(ctx);
  };
  objectController.putObjectCopy = Object.assign(patched, { registrarPatched: true as const });
}

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** A plain client of our own, so the independent view shares no code with Registrar's adapter. */
function rawClient(endpoint: string, region: string, keys: { accessKeyId: string; secretAccessKey: string }): S3Client {
  return new S3Client({
    endpoint,
    region,
    credentials: keys,
    forcePathStyle: true,
    // Without these the SDK streams bodies aws-chunked and s3rver stores the chunk framing as the object's bytes.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

async function listKeys(client: S3Client, bucket: string, prefix?: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page: ListObjectsV2CommandOutput = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const item of page.Contents ?? []) if (item.Key !== undefined) keys.push(item.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys.sort();
}

async function listRaw(client: S3Client, bucket: string, prefix?: string): Promise<RawObject[]> {
  const objects: RawObject[] = [];
  for (const key of await listKeys(client, bucket, prefix)) {
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = (await response.Body?.transformToByteArray()) ?? new Uint8Array();
    objects.push({ key, bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  return objects;
}

function rawWrites(client: S3Client): Pick<S3TestServer, 'putRaw' | 'deleteRaw' | 'getRaw'> {
  return {
    async putRaw(bucket, key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(body) }));
    },
    async deleteRaw(bucket, key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async getRaw(bucket, key) {
      if (!(await listKeys(client, bucket, key)).includes(key)) return undefined;
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await response.Body?.transformToByteArray()) ?? new Uint8Array();
    },
  };
}

/**
 * The S3 server for this test process: an external one when REGISTRAR_S3_ENDPOINT is set (as
 * `npm run test:rgw` does for radosgw), else a private in-process s3rver.
 */
export async function startS3(options: { directory?: string } = {}): Promise<S3TestServer> {
  const external = process.env.REGISTRAR_S3_ENDPOINT;
  return external ? useExternalS3(external) : startS3rver(options);
}

async function useExternalS3(endpoint: string): Promise<S3TestServer> {
  const keys = {
    accessKeyId: process.env.REGISTRAR_S3_ACCESS_KEY_ID ?? '',
    secretAccessKey: process.env.REGISTRAR_S3_SECRET_ACCESS_KEY ?? '',
  };
  const client = rawClient(endpoint, 'us-east-1', keys);
  const created: string[] = [];
  let closed = false;
  return {
    kind: 'external',
    endpoint,
    region: 'us-east-1',
    credentials: keys,
    directory: '',
    async createBucket(name) {
      const bucket = `${name.slice(0, 48)}-${randomBytes(5).toString('hex')}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      created.push(bucket);
      return bucket;
    },
    listRaw: (bucket, prefix) => listRaw(client, bucket, prefix),
    ...rawWrites(client),
    async close() {
      if (closed) return;
      closed = true;
      // The server is shared and keeps objects in memory: leave it as we found it.
      for (const bucket of created) {
        for (const key of await listKeys(client, bucket)) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      }
      client.destroy();
    },
  };
}

async function startS3rver(options: { directory?: string }): Promise<S3TestServer> {
  const ownsDirectory = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'registrar-s3-')));
  const server = new S3rver({
    // An IP address, not `localhost`: the SDK may resolve localhost to ::1 where s3rver does not listen.
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    // Path-style only: the bucket must never be read from the Host header.
    vhostBuckets: false,
    resetOnClose: false,
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;

  const client = rawClient(endpoint, 'us-east-1', credentials);
  let closed = false;
  return {
    kind: 's3rver',
    endpoint,
    region: 'us-east-1',
    credentials,
    directory,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    listRaw: (bucket, prefix) => listRaw(client, bucket, prefix),
    ...rawWrites(client),
    async close() {
      if (closed) return;
      closed = true;
      client.destroy();
      await server.close();
      if (ownsDirectory) await rm(directory, { recursive: true, force: true });
    },
  };
}
