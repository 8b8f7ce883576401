// Minimal typings for s3rver 3.x (the package ships none).
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';
  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    serviceEndpoint?: string;
    configureBuckets?: Array<{ name: string; configs?: Array<string | Buffer> }>;
  }
  export default class S3rver {
    constructor(options?: S3rverOptions);
    run(): Promise<AddressInfo>;
    /** With a callback: the listening http.Server, returned at once (its errors are its events). */
    listen(port: number, address: string, callback: () => void): import('node:http').Server;
    close(): Promise<void>;
  }
}
