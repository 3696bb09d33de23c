import { describe, expect, it } from "vitest";
import { resourcesForCu } from "../../../wakeup/backend/sizing.js";
import { checkCu, checkDatabaseName, checkRoleName, isValidEndpointId } from "../../../wakeup/server/validation.js";

describe("endpoint ids (DESIGN.md contract)", () => {
  it.each(["ep-quiet-river-a1b2c3d4", "ep-1", "ep--", "ep-" + "a".repeat(60)])("accepts %s", (id) => expect(isValidEndpointId(id)).toBe(true));
  it.each(["", "ep-", "ep-A", "ep_x", "pe-x", "ep-x.y", "ep-" + "a".repeat(61), " ep-x"])("rejects %j", (id) => expect(isValidEndpointId(id)).toBe(false));
});

describe("names and sizes", () => {
  it("accepts plain identifiers and refuses reserved ones", () => {
    expect(checkRoleName("app_user")).toBe("app_user");
    expect(checkDatabaseName("postgres")).toBe("postgres");
    for (const role of ["postgres", "Postgres", "pg_read_all_data", "public", "current_user"]) expect(() => checkRoleName(role)).toThrow(/reserved/);
    for (const db of ["template0", "template1"]) expect(() => checkDatabaseName(db)).toThrow(/reserved/);
    expect(() => checkRoleName("a".repeat(64))).toThrow();
    expect(() => checkRoleName('x"y')).toThrow();
  });

  it("takes CU in (0, 8]", () => {
    expect(checkCu(0.25)).toBe(0.25);
    expect(checkCu(8)).toBe(8);
    for (const cu of [0, -1, 8.01, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => checkCu(cu)).toThrow(/cu must be/);
  });

  it("sizes computes from the instance table", () => {
    expect([0.25, 1, 2, 4, 8].map((cu) => resourcesForCu(cu).maxConnections)).toEqual([25, 100, 200, 400, 800]);
    expect([0.25, 1, 8].map((cu) => resourcesForCu(cu).sharedBuffersMb)).toEqual([32, 128, 1024]);
    expect(resourcesForCu(0.01).maxConnections).toBe(10);
  });
});
