import { describe, expect, it } from "vitest";
import { parseRouteTable } from "./static-routes.js";

const secret = "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==$" + Buffer.alloc(32, 1).toString("base64") + ":" + Buffer.alloc(32, 2).toString("base64");

describe("static route table", () => {
  it("parses the contract format", () => {
    const t = parseRouteTable(JSON.stringify({ endpoints: { "ep-demo-1": { address: "127.0.0.1:55432", pooled_address: "[::1]:6432", cu: 1, roles: { app: secret } } } }));
    const e = t.get("ep-demo-1")!;
    expect(e.compute).toEqual({ host: "127.0.0.1", port: 55432 });
    expect(e.pooler?.address).toEqual({ host: "::1", port: 6432 });
    expect(e.roles.get("app")?.iterations).toBe(4096);
  });

  it.each([
    ["not json", "{", /not valid JSON/],
    ["unknown field", JSON.stringify({ endpoints: {}, extra: 1 }), /Unrecognized key/],
    ["bad id", JSON.stringify({ endpoints: { Bad: { address: "h:1", roles: {} } } }), /endpoint ids look like/],
    ["bad address", JSON.stringify({ endpoints: { "ep-a-1": { address: "nohost", roles: {} } } }), /endpoints.ep-a-1.address: expected host:port/],
    ["bad secret", JSON.stringify({ endpoints: { "ep-a-1": { address: "h:1", roles: { app: "md5xyz" } } } }), /SCRAM-SHA-256 verifier/],
    ["no address", JSON.stringify({ endpoints: { "ep-a-1": { roles: {} } } }), /address is required unless managed/],
  ])("rejects %s with a message naming the problem", (_name, text, message) => {
    expect(() => parseRouteTable(text)).toThrow(message);
  });
});
