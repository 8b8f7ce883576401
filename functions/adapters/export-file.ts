// The export file in ExportsBucket: an S3 object written part by part (the ExportFile port), and the
// pre-signed download link of a finished one.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ExportFile } from '../../shared/exports/ports';

/** Part size of multipart uploads (S3's minimum is 5 MiB for every part but the last). */
export const PART_BYTES = 8 * 1024 * 1024;
const MIN_PART_BYTES = 5 * 1024 * 1024;

/**
 * Writes one S3 object from text appended piece by piece, holding at most about one part in
 * memory: a single PutObject when the whole file fits in one part, else a multipart upload
 * (CRC32 per part, so S3's default integrity checks and the parts agree). Encryption is the
 * bucket's default.
 */
export class ExportObjectWriter implements ExportFile {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private uploadId: string | undefined;
  private readonly parts: CompletedPart[] = [];
  private written = 0;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    readonly key: string,
    private readonly headers: { contentType: string; contentDisposition?: string },
    /** Test hook; at least 5 MiB against AWS. */
    private readonly partBytes = PART_BYTES,
  ) {}

  /** Bytes handed to write() so far. */
  get bytes(): number {
    return this.written;
  }

  get multipart(): boolean {
    return this.uploadId !== undefined;
  }

  async write(text: string): Promise<void> {
    const chunk = Buffer.from(text, 'utf8');
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.written += chunk.length;
    if (this.pendingBytes >= this.partBytes) await this.uploadPart();
  }

  /** Finishes the object. */
  async close(): Promise<void> {
    if (this.uploadId === undefined) {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          Body: this.take(),
          ContentType: this.headers.contentType,
          ContentDisposition: this.headers.contentDisposition,
        }),
      );
      return;
    }
    if (this.pendingBytes > 0) await this.uploadPart();
    await this.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        MultipartUpload: { Parts: this.parts },
      }),
    );
  }

  /** Abandons a multipart upload (best effort; the bucket's lifecycle rule cleans up the rest). */
  async abort(): Promise<void> {
    if (this.uploadId === undefined) return;
    const uploadId = this.uploadId;
    this.uploadId = undefined;
    await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: uploadId }));
  }

  private take(): Buffer {
    const body = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return body;
  }

  private async uploadPart(): Promise<void> {
    if (this.uploadId === undefined) {
      if (this.partBytes < MIN_PART_BYTES && process.env.MEMBERFLOW_LOCAL !== '1')
        throw new Error(`part size ${this.partBytes} is under S3's 5 MiB minimum`);
      const created = await this.s3.send(
        new CreateMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.key,
          ContentType: this.headers.contentType,
          ContentDisposition: this.headers.contentDisposition,
          ChecksumAlgorithm: 'CRC32',
        }),
      );
      if (!created.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
      this.uploadId = created.UploadId;
    }
    const PartNumber = this.parts.length + 1;
    const out = await this.s3.send(
      new UploadPartCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        PartNumber,
        Body: this.take(),
        ChecksumAlgorithm: 'CRC32',
      }),
    );
    this.parts.push({ PartNumber, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32 });
  }
}

/** Download link lifetime. */
export const DOWNLOAD_URL_SECONDS = 15 * 60;

/** A pre-signed GetObject URL for the export file, valid {@link DOWNLOAD_URL_SECONDS}. */
export function downloadUrl(s3: S3Client, bucket: string, key: string, seconds = DOWNLOAD_URL_SECONDS): Promise<string> {
  return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: seconds });
}
