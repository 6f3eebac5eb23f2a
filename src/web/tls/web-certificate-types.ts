/** The certificate and key the console serves HTTPS with, and what the owner checks it by. */
export interface WebCertificate {
  readonly cert: string;
  readonly key: string;
  /** SHA-256 of the DER, colon-separated upper-case hex. */
  readonly fingerprint: string;
  /** configured: web.tls_cert_file; kept: the self-signed pair of an earlier start; made: made on this start. */
  readonly origin: 'configured' | 'kept' | 'made';
  /** Where the certificate is on disk; null for a pair made but not kept (its directory was not writable). */
  readonly certFile: string | null;
  readonly validTo: Date;
}
