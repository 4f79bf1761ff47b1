// TLS for both listeners, as the Collector's OTLP receiver offers it: a server certificate and key, and optionally
// a client CA — then every client must present a certificate that CA signed (checked during the handshake, on
// HTTP and gRPC alike), and the certificate's subject CN can name the tenant.
import { readFileSync } from 'node:fs';
import type { ServerOptions as HttpsOptions } from 'node:https';
import { TLSSocket, type PeerCertificate } from 'node:tls';
import { ServerCredentials } from '@grpc/grpc-js';

/** PEM contents (never printed). */
export interface GatewayTls {
  cert: Buffer;
  key: Buffer;
  /** CA bundle that client certificates must chain to (mTLS). */
  clientCa?: Buffer;
}

/** Where the PEM files are. */
export interface GatewayTlsFiles {
  cert?: string | undefined;
  key?: string | undefined;
  clientCa?: string | undefined;
}

/** Reads the PEM files; undefined when no certificate is configured. Errors name the file, never its content. */
export function loadGatewayTls(files: GatewayTlsFiles): GatewayTls | undefined {
  if (files.cert === undefined && files.key === undefined) {
    if (files.clientCa !== undefined) throw new Error('a client CA (--tls-client-ca) needs a server certificate and key (--tls-cert, --tls-key)');
    return undefined;
  }
  if (files.cert === undefined || files.key === undefined) throw new Error('--tls-cert and --tls-key go together');
  const read = (what: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read the TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
    }
  };
  return {
    cert: read('certificate', files.cert),
    key: read('key', files.key),
    ...(files.clientCa === undefined ? {} : { clientCa: read('client CA', files.clientCa) }),
  };
}

/** Options of the HTTPS server. */
export function httpsOptions(tls: GatewayTls): HttpsOptions {
  const mutual = tls.clientCa !== undefined;
  return { cert: tls.cert, key: tls.key, ...(mutual ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}) };
}

/** Credentials of the gRPC server: plaintext without TLS. */
export function grpcCredentials(tls: GatewayTls | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(tls.clientCa ?? null, [{ cert_chain: tls.cert, private_key: tls.key }], tls.clientCa !== undefined);
}

/** The subject CN of a verified client certificate. */
export function certificateCn(cert: PeerCertificate | undefined): string | undefined {
  const cn: unknown = cert?.subject?.CN;
  // Several CNs in one subject name no single tenant.
  return typeof cn === 'string' ? cn : undefined;
}

/** The subject CN of the client certificate on an HTTP request's socket, when the handshake verified one. */
export function socketCertificateCn(socket: unknown): string | undefined {
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  return certificateCn(socket.getPeerCertificate());
}
