import { randomInt, timingSafeEqual } from "node:crypto";
import type { HostPort } from "./access.js";

/** Where a cancel for a session must go: the backend's own key at the backend's address. */
export interface CancelTarget {
  readonly address: HostPort;
  readonly processId: number;
  readonly secretKey: number;
  readonly endpointId: string;
}

export interface ProxyCancelKey {
  readonly processId: number;
  readonly secretKey: number;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * The proxy's own BackendKeyData per session, mapped to the backend's. Clients only ever see
 * our random key, so a cancel cannot be aimed at another tenant's backend, and a wrong key
 * matches nothing. The process id part is the map key (unique), the secret is compared in
 * constant time.
 */
export class CancelKeyMap {
  private readonly sessions = new Map<number, { secretKey: number; target: CancelTarget }>();

  register(target: CancelTarget): ProxyCancelKey {
    let processId: number;
    do processId = randomInt(1, INT32_MAX);
    while (this.sessions.has(processId));
    const secretKey = randomInt(INT32_MIN, INT32_MAX);
    this.sessions.set(processId, { secretKey, target });
    return { processId, secretKey };
  }

  /** Forget a session's key; returns it (with its target) when it was registered. */
  unregister(processId: number): { key: ProxyCancelKey; target: CancelTarget } | null {
    const entry = this.sessions.get(processId);
    if (!entry) return null;
    this.sessions.delete(processId);
    return { key: { processId, secretKey: entry.secretKey }, target: entry.target };
  }

  /** Every live key with its target (to mirror them elsewhere). */
  *entries(): IterableIterator<{ key: ProxyCancelKey; target: CancelTarget }> {
    for (const [processId, e] of this.sessions) yield { key: { processId, secretKey: e.secretKey }, target: e.target };
  }

  get(processId: number): { key: ProxyCancelKey; target: CancelTarget } | null {
    const e = this.sessions.get(processId);
    return e ? { key: { processId, secretKey: e.secretKey }, target: e.target } : null;
  }

  lookup(processId: number, secretKey: number): CancelTarget | null {
    const entry = this.sessions.get(processId);
    if (!entry) return null;
    const a = Buffer.alloc(4);
    const b = Buffer.alloc(4);
    a.writeInt32BE(entry.secretKey);
    b.writeInt32BE(secretKey);
    return timingSafeEqual(a, b) ? entry.target : null;
  }

  get size(): number {
    return this.sessions.size;
  }
}
