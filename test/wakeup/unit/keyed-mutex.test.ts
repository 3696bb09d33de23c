import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { KeyedMutex } from "../../../wakeup/util/keyed-mutex.js";
import { SingleFlight } from "../../../common/single-flight.js";

describe("KeyedMutex", () => {
  it("runs sections of one key one at a time, in order, and other keys alongside", async () => {
    const mutex = new KeyedMutex<string>();
    const log: string[] = [];
    const section = (key: string, name: string) =>
      mutex.runExclusive(key, async () => {
        log.push(`${name}+`);
        await sleep(5);
        log.push(`${name}-`);
      });
    await Promise.all([section("a", "a1"), section("a", "a2"), section("b", "b1")]);
    expect(log.indexOf("a1-")).toBeLessThan(log.indexOf("a2+"));
    expect(log.indexOf("b1+")).toBeLessThan(log.indexOf("a1-"));
    expect(mutex.isLocked("a")).toBe(false);
  });

  it("keeps going after a section throws", async () => {
    const mutex = new KeyedMutex<string>();
    await expect(mutex.runExclusive("a", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await mutex.runExclusive("a", async () => 42)).toBe(42);
  });
});

describe("SingleFlight", () => {
  it("shares one run per key while it is in flight", async () => {
    const flight = new SingleFlight<string, number>();
    let runs = 0;
    const fn = async () => {
      runs += 1;
      await sleep(5);
      return runs;
    };
    const first = flight.run("k", fn);
    const second = flight.run("k", fn);
    expect([first.joined, second.joined]).toEqual([false, true]);
    expect(await Promise.all([first.promise, second.promise])).toEqual([1, 1]);
    expect(await flight.run("k", fn).promise).toBe(2);
    expect(flight.size).toBe(0);
  });
});
