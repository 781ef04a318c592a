// The Storage port on one S3-compatible bucket (and optional key prefix), with SDK failures turned into RegistrarErrors.
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type ListObjectsV2CommandOutput,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { RegistrarError } from '../errors.js';
import { isMissingObject, s3Error } from './errors.js';
import type { Body, BodyDigest, ObjectDigest, Storage, StoredObject, WriteReceipt } from '../ports.js';

export interface S3BackendConfig {
  /** A short name for reports and error messages, e.g. `primary`. */
  name: string;
  /** A custom endpoint (MinIO, R2, a test server); absent = AWS. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Every key lives under this prefix; `a/b` and `a/b/` mean the same. */
  prefix?: string;
  /** Base URL people download from; a key's URL is this base joined with the full (prefixed) key. */
  publicUrl?: string;
  /** Path-style addressing; defaults to true when `endpoint` is set (most S3-compatible servers need it). */
  forcePathStyle?: boolean;
  /** Absent = the SDK's default chain (environment, OIDC web identity, instance profile, …). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Per-request timeout; a request that exceeds it fails (and is retried) instead of hanging the job. */
  requestTimeoutMs?: number;
  /** Keys per ListObjectsV2 page (default 1000); tests set it low to exercise paging. */
  pageSize?: number;
}

type Operation = 'put' | 'head' | 'read' | 'copy' | 'delete' | 'list';

/**
 * Files go up in parts of this size through lib-storage, at most two parts in flight: memory stays at ~16 MiB
 * whatever the tarball's size, and a tarball up to one part (nearly all of them) goes up as a single PUT.
 */
export const PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;


export class S3Storage implements Storage {
  readonly name: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  /** The normalised prefix with a trailing slash, or '' when there is none. */
  private readonly base: string;
  private readonly pageSize: number;
  private readonly publicBase: string | undefined;

  constructor(
    config: S3BackendConfig,
    client?: S3Client,
  ) {
    this.name = config.name;
    this.bucket = config.bucket;
    const prefix = (config.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.base = prefix === '' ? '' : `${prefix}/`;
    this.pageSize = config.pageSize ?? 1000;
    this.publicBase = config.publicUrl?.replace(/\/+$/, '');
    this.client = client ?? new S3Client(clientConfig(config));
  }

  async put(key: string, body: Body, digest: BodyDigest): Promise<WriteReceipt> {
    const params = {
      Bucket: this.bucket,
      Key: this.fullKey(key),
      ContentType: key.endsWith('.tar.gz') ? 'application/gzip' : 'application/octet-stream',
      Metadata: { sha256: digest.sha256Hex },
    };
    if (body instanceof Uint8Array) {
      const md5 = digest.md5Hex ?? createHash('md5').update(body).digest('hex');
      const response = await this.callStrict('put', key, () => this.client.send(new PutObjectCommand({
        ...params,
        // A Buffer (not a stream) so the SDK sends a plain body with a known length, never aws-chunked framing.
        Body: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
        ContentLength: body.byteLength,
        ContentMD5: Buffer.from(md5, 'hex').toString('base64'),
      })));
      return receipt(response.ETag, md5);
    }
    // A file streams through lib-storage in bounded parts; the parts' md5s are taken as the bytes leave, so the
    // answer's entity tag can be checked against what was actually sent, whatever the file held.
    return this.callStrict('put', key, async () => {
      const parts = new PartHashes(PART_BYTES);
      const single = body.bytes <= PART_BYTES;
      const upload = new Upload({
        client: this.client,
        partSize: PART_BYTES,
        queueSize: PARTS_IN_FLIGHT,
        leavePartsOnError: false,
        params: {
          ...params,
          Body: createReadStream(body.file).pipe(parts),
          ContentLength: body.bytes,
          // Only a single PUT can carry the whole body's md5 for the server to check.
          ...(single && digest.md5Hex ? { ContentMD5: Buffer.from(digest.md5Hex, 'hex').toString('base64') } : {}),
        },
      });
      const response = await upload.done();
      if (parts.bytes !== body.bytes) {
        throw new Error(`sent ${parts.bytes} bytes of a ${body.bytes}-byte file`);
      }
      return receipt(response.ETag, ...parts.entityTags());
    });
  }

  async head(key: string): Promise<StoredObject | undefined> {
    const response = await this.call('head', key, () =>
      this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) })),
    );
    if (response === undefined) return undefined;
    return {
      key,
      bytes: response.ContentLength ?? 0,
      sha256: response.Metadata?.sha256,
      lastModified: response.LastModified,
      ...(response.ETag ? { etag: response.ETag } : {}),
    };
  }

  async read(key: string): Promise<Uint8Array | undefined> {
    return this.call('read', key, async () => {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
      // Read the body inside `call` so a connection dropped mid-body is reported like any other network failure.
      return (await response.Body?.transformToByteArray()) ?? new Uint8Array();
    });
  }

  /** The object streamed through sha256 as it arrives: one GET, and memory stays flat whatever its size. */
  async digest(key: string): Promise<ObjectDigest | undefined> {
    return this.call('read', key, async () => {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
      const hash = createHash('sha256');
      let bytes = 0;
      // Read inside `call` so a connection dropped mid-body is reported like any other network failure.
      for await (const chunk of (response.Body as Readable | undefined) ?? []) {
        hash.update(chunk as Uint8Array);
        bytes += (chunk as Uint8Array).byteLength;
      }
      return { bytes, sha256Hex: hash.digest('hex'), ...(response.ETag ? { etag: response.ETag } : {}) };
    });
  }

  async copy(fromKey: string, toKey: string, source: { etag?: string } = {}): Promise<WriteReceipt> {
    const copySource = `${this.bucket}/${encodeKey(this.fullKey(fromKey))}`;
    const response = await this.call(
      'copy',
      fromKey,
      () =>
        this.client.send(
          new CopyObjectCommand({
            Bucket: this.bucket,
            Key: this.fullKey(toKey),
            CopySource: copySource,
            // COPY keeps the sha256 user metadata (and content type): the copy is verifiable like the original.
            MetadataDirective: 'COPY',
          }),
        ),
      toKey,
    );
    const etag = response?.CopyObjectResult?.ETag;
    return { ...(etag ? { etag } : {}), verified: source.etag !== undefined && sameEntityTag(etag, source.etag) };
  }

  /**
   * With `expected.etag`, S3's conditional delete (`If-Match`): a 412 (the key now holds another object)
   * is a `conflict`; a missing key still succeeds (S3 answers 404 / 204 for it). Servers that ignore the
   * header (s3rver, radosgw before conditional deletes) delete unconditionally: callers HEAD-verify first.
   */
  async delete(key: string, expected: { etag?: string } = {}): Promise<void> {
    await this.call('delete', key, () =>
      this.client.send(new DeleteObjectCommand({
        Bucket: this.bucket,
        Key: this.fullKey(key),
        ...(expected.etag === undefined ? {} : { IfMatch: expected.etag }),
      })),
    );
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await this.callStrict('list', prefix, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.fullKey(prefix),
            MaxKeys: this.pageSize,
            ContinuationToken: token,
          }),
        ),
      );
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined || !item.Key.startsWith(this.base)) continue;
        objects.push({ key: item.Key.slice(this.base.length), bytes: item.Size ?? 0, lastModified: item.LastModified });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return objects;
  }

  publicUrl(key: string): string | undefined {
    if (this.publicBase === undefined) return undefined;
    return `${this.publicBase}/${encodeKey(this.fullKey(key))}`;
  }

  /** Closes the client's pooled connections (tests and short-lived CLIs call this; the action just exits). */
  destroy(): void {
    this.client.destroy();
  }

  private fullKey(key: string): string {
    return this.base + key;
  }

  /**
   * Runs one SDK call; "the object does not exist" becomes undefined (head, read, delete ask exactly that),
   * every other failure becomes a RegistrarError.
   */
  private async call<T>(operation: Operation, key: string, run: () => Promise<T>, toKey?: string): Promise<T | undefined> {
    try {
      return await run();
    } catch (error) {
      if (isMissingObject(error) && operation !== 'put' && operation !== 'copy') return undefined;
      throw this.toError(error, operation, key, toKey);
    }
  }

  private async callStrict<T>(operation: Operation, key: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw this.toError(error, operation, key);
    }
  }

  private toError(error: unknown, operation: Operation, key: string, toKey?: string): RegistrarError {
    const what = `S3 backend "${this.name}": ${operation} of "${this.fullKey(key)}"${toKey === undefined ? '' : ` to "${this.fullKey(toKey)}"`}`;
    return s3Error(error, { backend: this.name, bucket: this.bucket, what });
  }
}

export function createS3Storage(config: S3BackendConfig): S3Storage {
  return new S3Storage(config);
}

function clientConfig(config: S3BackendConfig): S3ClientConfig {
  return {
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: config.forcePathStyle ?? config.endpoint !== undefined,
    credentials: config.credentials,
    maxAttempts: 3,
    // The SDK's default (WHEN_SUPPORTED) adds CRC checksums with aws-chunked bodies, which some S3-compatible
    // servers (s3rver) store verbatim — silent corruption. We verify content with our own sha256 instead.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Options, not an instance: the SDK builds its NodeHttpHandler from them, so we need no direct @smithy dependency.
    // Without throwOnRequestTimeout the handler only logs a warning when the timeout passes and keeps waiting.
    ...(config.requestTimeoutMs === undefined
      ? {}
      : { requestHandler: { requestTimeout: config.requestTimeoutMs, throwOnRequestTimeout: true } }),
  };
}

/** CopySource and public URLs need each key segment URL-encoded, keeping the slashes between them. */
function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/** Entity tags compared as S3 does: without their quotes. */
export function sameEntityTag(a: string | undefined, b: string | undefined): boolean {
  const bare = (tag: string) => tag.replace(/"/g, '').toLowerCase();
  return a !== undefined && b !== undefined && bare(a) === bare(b);
}

function receipt(etag: string | undefined, ...expected: string[]): WriteReceipt {
  return { ...(etag ? { etag } : {}), verified: expected.some((tag) => sameEntityTag(etag, tag)) };
}

/**
 * Passes a file's bytes through unchanged while taking the md5 of each part as lib-storage will cut them, so the
 * entity tag the server answers can be predicted: S3 and radosgw tag a multipart object `md5(part md5s)-<parts>`,
 * some S3-compatible servers (s3rver) the md5 of the whole body, which is taken too; either proves the bytes.
 */
class PartHashes extends Transform {
  bytes = 0;
  private readonly done: Buffer[] = [];
  private readonly whole: Hash = createHash('md5');
  private current: Hash = createHash('md5');
  private inPart = 0;

  constructor(private readonly partBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (let at = 0; at < chunk.length;) {
      const take = Math.min(chunk.length - at, this.partBytes - this.inPart);
      this.current.update(chunk.subarray(at, at + take));
      this.inPart += take;
      at += take;
      if (this.inPart === this.partBytes) this.endPart();
    }
    this.whole.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  /** The tags that prove these bytes: the whole body's md5, and for several parts the multipart tag. Call once, at the end. */
  entityTags(): string[] {
    if (this.inPart > 0 || this.done.length === 0) this.endPart();
    const whole = this.whole.digest('hex');
    if (this.done.length === 1) return [whole];
    return [whole, `${createHash('md5').update(Buffer.concat(this.done)).digest('hex')}-${this.done.length}`];
  }

  private endPart(): void {
    this.done.push(this.current.digest());
    this.current = createHash('md5');
    this.inPart = 0;
  }
}
