import { createServer } from "node:net";
import { pino } from "pino";
import { parseScramSecret } from "../../common/scram/index.js";
import { BACKEND_TAGS } from "../../proxy/protocol/codes.js";
import { backendKeyData, message } from "../../proxy/protocol/backend-messages.js";
import { PacketReader } from "../../proxy/protocol/packet-reader.js";
import { authenticateClient } from "../../proxy/session/client-auth.js";
import { negotiateTransport, type ClientTransport } from "../../proxy/session/client-transport.js";
import { CertificateStore } from "../../proxy/tls/cert-store.js";
import { createRouter, endpointLabelFromSni, resolveEndpoint, type EndpointAccess } from "../../router/index.js";

/**
 * The floor of the connect-rate benchmark: a process that does exactly the proxy's TLS and SCRAM
 * with the client — the proxy's own negotiateTransport() and authenticateClient(), the same
 * certificate and verifier — and nothing else: it answers from an in-memory route, opens no
 * compute connection, and closes when the client does. The proxy's CPU per connection minus
 * this one's is what the proxy spends beyond TLS and SCRAM.
 *
 *   node dist/bench/lib/handshake-floor.js <cert file> <key file> <domain> <endpoint> <SCRAM verifier>
 */
const [certFile, keyFile, domain, endpointId, verifier] = process.argv.slice(2) as [string, string, string, string, string];
const certificates = CertificateStore.load([{ certFile, keyFile }]);
const access: EndpointAccess = { endpointId, cu: 1, compute: null, pooler: null, managed: false, secret: parseScramSecret(verifier), allowedCidrs: [] };
const router = createRouter({ source: { lookup: async () => access }, replicaId: "floor", log: pino({ level: "silent" }) });
const limits = { maxPasswordMessageBytes: 1_024, maxSaslMessageBytes: 4_096, fakeSecretKey: Buffer.alloc(32) };
const ready = message(BACKEND_TAGS.readyForQuery, Buffer.from("I"));

const server = createServer({ noDelay: true }, (raw) => {
  raw.on("error", () => undefined);
  const holder: { transport: ClientTransport } = { transport: { socket: raw, reader: new PacketReader(raw), tls: null } };
  void (async () => {
    const negotiated = await negotiateTransport(holder, { certificates, maxStartupPacketBytes: 10_000, onTlsHandshake: () => undefined });
    const t = negotiated.transport;
    if (negotiated.kind !== "startup") {
      t.socket.destroy();
      return;
    }
    const request = resolveEndpoint(endpointLabelFromSni(t.tls?.servername, [domain]), null);
    await authenticateClient(t, negotiated.packet.params.get("user") ?? "", request, router, limits, { beforeVerifying: async () => undefined, failed: () => undefined });
    t.reader.detach();
    t.socket.write(Buffer.concat([backendKeyData(1, 1), ready]));
    // Read (and drop) until the client's Terminate and FIN, then close our side too.
    t.socket.once("end", () => t.socket.end());
    t.socket.resume();
  })().catch(() => holder.transport.socket.destroy());
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(JSON.stringify({ event: "ready", port: typeof address === "object" ? address?.port : null }) + "\n");
});
