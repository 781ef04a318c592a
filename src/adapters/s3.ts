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
import type { RegistrarError } from '../errors.js';
import { isMissingObject, s3Error } from './errors.js';
import type { Storage, StoredObject } from '../ports.js';

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

  async put(key: string, body: Uint8Array, sha256Hex: string): Promise<void> {
    const fullKey = this.fullKey(key);
    await this.call('put', key, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: fullKey,
          // A Buffer (not a stream) so the SDK sends a plain body with a known length, never aws-chunked framing.
          Body: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
          ContentLength: body.byteLength,
          ContentType: key.endsWith('.tar.gz') ? 'application/gzip' : 'application/octet-stream',
          Metadata: { sha256: sha256Hex },
        }),
      ),
    );
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

  async copy(fromKey: string, toKey: string): Promise<void> {
    const source = `${this.bucket}/${encodeKey(this.fullKey(fromKey))}`;
    await this.call(
      'copy',
      fromKey,
      () =>
        this.client.send(
          new CopyObjectCommand({
            Bucket: this.bucket,
            Key: this.fullKey(toKey),
            CopySource: source,
            // COPY keeps the sha256 user metadata (and content type): the copy is verifiable like the original.
            MetadataDirective: 'COPY',
          }),
        ),
      toKey,
    );
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
