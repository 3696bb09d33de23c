import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { PacketReader } from "../protocol/packet-reader.js";
import { ALPN_POSTGRESQL, TLS_HANDSHAKE_RECORD } from "../protocol/codes.js";
import { ClientError, SQLSTATE, protocolError } from "../protocol/errors.js";
import { parseFirstPacket, type FirstPacket } from "../protocol/startup.js";
import type { CertificateEntry, CertificateStore } from "../tls/cert-store.js";

/** The client connection as it stands after the first packets: maybe upgraded to TLS. */
export interface ClientTransport {
  socket: Socket | TLSSocket;
  reader: PacketReader;
  tls: { servername: string | null; certificate: CertificateEntry; direct: boolean } | null;
}

export type Negotiated =
  | { kind: "startup"; transport: ClientTransport; packet: Extract<FirstPacket, { type: "startup" }> }
  | { kind: "cancel"; transport: ClientTransport; packet: Extract<FirstPacket, { type: "cancel" }> };

export interface NegotiateOptions {
  certificates: CertificateStore;
  maxStartupPacketBytes: number;
  onTlsHandshake: (kind: "ssl_request" | "direct" | "failed") => void;
}

const SSL_ACCEPT = Buffer.from("S");
const GSS_REFUSE = Buffer.from("N");

/**
 * DESIGN.md step 2: SSLRequest (once) → 'S' + TLS; GSSENCRequest → 'N'; a first byte of 0x16
 * → PG17 direct TLS (ALPN "postgresql" required); then a CancelRequest or StartupMessage.
 */
export async function negotiateTransport(holder: { transport: ClientTransport }, opts: NegotiateOptions): Promise<Negotiated> {
  const raw = holder.transport.socket as Socket;
  let gssRefused = false;
  for (;;) {
    const transport = holder.transport;
    if (!transport.tls && (await transport.reader.peekByte()) === TLS_HANDSHAKE_RECORD) {
      await upgradeToTls(holder, true, opts);
      continue;
    }
    const packet = parseFirstPacket(await transport.reader.readUntagged(opts.maxStartupPacketBytes));
    switch (packet.type) {
      case "ssl":
        if (transport.tls) throw protocolError("SSLRequest received on a connection that already uses TLS");
        // Anything the client sent behind the SSLRequest would be read as if it came over TLS
        // (CVE-2021-23214): refuse instead.
        if (transport.reader.bufferedLength > 0) throw protocolError("received unencrypted data after SSL request");
        await write(raw, SSL_ACCEPT);
        await upgradeToTls(holder, false, opts);
        continue;
      case "gssenc":
        if (transport.tls || gssRefused) throw protocolError("unexpected GSSENCRequest");
        if (transport.reader.bufferedLength > 0) throw protocolError("received unencrypted data after GSSAPI encryption request");
        gssRefused = true;
        await write(raw, GSS_REFUSE);
        continue;
      case "cancel":
        return { kind: "cancel", transport, packet };
      case "startup":
        return { kind: "startup", transport, packet };
    }
  }
}

/** Wrap the raw socket in TLS; on success holder.transport is the TLS transport. */
async function upgradeToTls(holder: { transport: ClientTransport }, direct: boolean, opts: NegotiateOptions): Promise<void> {
  const raw = holder.transport.socket as Socket;
  const pending = holder.transport.reader.detach();
  if (pending.length > 0) raw.unshift(pending);
  const store = opts.certificates;
  const socket = new TLSSocket(raw, {
    isServer: true,
    secureContext: store.default.context,
    SNICallback: (servername, cb) => cb(null, store.select(servername).context),
    // A callback rather than ALPNProtocols: Node copies an ALPNProtocols list into a small pooled
    // Buffer per socket, which pins an 8 KB pool slab for the life of every session (measured).
    ALPNCallback: ({ protocols }) => (protocols.includes(ALPN_POSTGRESQL) ? ALPN_POSTGRESQL : undefined),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (err?: Error) => {
        socket.off("secure", ok);
        reject(
          new ClientError("protocol", SQLSTATE.protocolViolation, "TLS handshake failed", err?.message ?? "closed during TLS handshake"),
        );
      };
      const ok = () => {
        socket.off("error", fail);
        socket.off("close", fail);
        resolve();
      };
      socket.once("secure", ok);
      socket.once("error", fail);
      socket.once("close", fail);
    });
  } catch (err) {
    opts.onTlsHandshake("failed");
    socket.destroy();
    throw err;
  }
  opts.onTlsHandshake(direct ? "direct" : "ssl_request");
  // ALPN mismatch is possible only when the client offered other protocols; PG17 direct TLS
  // must negotiate "postgresql" so a misdirected HTTPS client cannot be taken for a libpq one.
  const servername = typeof socket.servername === "string" ? socket.servername : null;
  holder.transport = { socket, reader: new PacketReader(socket), tls: { servername, certificate: store.select(servername), direct } };
  const alpn = socket.alpnProtocol;
  if ((direct && alpn !== ALPN_POSTGRESQL) || (typeof alpn === "string" && alpn !== ALPN_POSTGRESQL)) {
    throw protocolError('direct TLS connections must negotiate ALPN protocol "postgresql"');
  }
}

function write(socket: Socket, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve())));
}
