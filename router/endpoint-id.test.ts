import { describe, expect, it } from "vitest";
import {
  endpointLabelFromSni,
  extractEndpointFromOptions,
  parseEndpointLabel,
  parsePasswordHack,
  resolveEndpoint,
} from "./endpoint-id.js";
import { RouterError } from "./errors.js";

const domains = ["local.orochi.localhost", "eu-1.orochi.cloud"];

describe("endpoint ids", () => {
  it("come from the first SNI label under a configured domain", () => {
    expect(endpointLabelFromSni("ep-a-1.local.orochi.localhost", domains)).toBe("ep-a-1");
    expect(endpointLabelFromSni("EP-A-1.EU-1.orochi.cloud.", domains)).toBe("ep-a-1");
    expect(endpointLabelFromSni("localhost", domains)).toBeNull();
    expect(endpointLabelFromSni("a.b.local.orochi.localhost", domains)).toBeNull();
    expect(endpointLabelFromSni(undefined, domains)).toBeNull();
  });

  it("take -pooler as the pooled path", () => {
    expect(parseEndpointLabel("ep-a-1-pooler", "sni")).toEqual({ endpointId: "ep-a-1", pooled: true, source: "sni" });
    expect(parseEndpointLabel("ep-a-1", "options")).toEqual({ endpointId: "ep-a-1", pooled: false, source: "options" });
    expect(() => parseEndpointLabel("db-1", "sni")).toThrow(RouterError);
    expect(() => parseEndpointLabel("ep-" + "a".repeat(61), "sni")).toThrow(/invalid endpoint id/);
  });

  it("are taken out of options, the other words kept with their escapes", () => {
    expect(extractEndpointFromOptions("endpoint=ep-x-1")).toEqual({ label: "ep-x-1", rest: "" });
    expect(extractEndpointFromOptions("-c search_path=a\\ b --endpoint=ep-x-1 -c geqo=off")).toEqual({
      label: "ep-x-1",
      rest: "-c search_path=a\\ b -c geqo=off",
    });
    expect(extractEndpointFromOptions("-c statement_timeout=5s")).toEqual({ label: null, rest: "-c statement_timeout=5s" });
    expect(extractEndpointFromOptions(undefined)).toEqual({ label: null, rest: "" });
  });

  it("come from the password hack with ; or $", () => {
    expect(parsePasswordHack("endpoint=ep-x-1;pa;ss")).toEqual({ label: "ep-x-1", password: "pa;ss" });
    expect(parsePasswordHack("endpoint=ep-x-1$pw")).toEqual({ label: "ep-x-1", password: "pw" });
    expect(parsePasswordHack("plain-password")).toBeNull();
  });

  it("must agree between SNI and options", () => {
    expect(resolveEndpoint("ep-a-1", "ep-a-1")).toMatchObject({ endpointId: "ep-a-1" });
    expect(resolveEndpoint("ep-a-1-pooler", "ep-a-1")).toMatchObject({ endpointId: "ep-a-1", pooled: true });
    expect(() => resolveEndpoint("ep-a-1", "ep-b-2")).toThrow(expect.objectContaining({ code: "endpoint_mismatch" }));
    expect(resolveEndpoint(null, null)).toBeNull();
  });
});
