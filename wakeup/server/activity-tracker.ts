/**
 * Open sessions per endpoint as reported by each proxy (ReportActivity). A proxy's report is
 * kept until its TTL runs out without renewal, so the sessions of a proxy that crashed stop
 * counting and its endpoints can hibernate.
 */
export interface ActivityReport {
  proxyId: string;
  endpoints: ReadonlyArray<{ endpointId: string; openSessions: number }>;
  /** The proxy's whole picture: endpoints it does not list have no sessions through it. */
  fullSnapshot: boolean;
  ttlMs: number;
}

interface ProxyReport {
  expiresAtMs: number;
  sessions: Map<string, number>;
}

export class ActivityTracker {
  private readonly proxies = new Map<string, ProxyReport>();

  get proxyCount(): number {
    return this.proxies.size;
  }

  /**
   * Store a report. Returns the endpoints that were active through this proxy until now: those
   * with sessions now, and those whose sessions this report ended (their idle time starts now).
   */
  record(report: ActivityReport, nowMs: number): Set<string> {
    const previous = this.proxies.get(report.proxyId);
    const current = previous && previous.expiresAtMs > nowMs ? previous : undefined;
    const active = new Set<string>(current ? current.sessions.keys() : []);
    const sessions = report.fullSnapshot || !current ? new Map<string, number>() : current.sessions;
    for (const { endpointId, openSessions } of report.endpoints) {
      if (openSessions > 0) {
        sessions.set(endpointId, openSessions);
        active.add(endpointId);
      } else {
        sessions.delete(endpointId);
      }
    }
    this.proxies.set(report.proxyId, { expiresAtMs: nowMs + report.ttlMs, sessions });
    return active;
  }

  hasProxy(proxyId: string): boolean {
    return this.proxies.has(proxyId);
  }

  /** Open sessions of an endpoint summed over every proxy whose report is still current. */
  openSessions(endpointId: string, nowMs: number): number {
    let total = 0;
    for (const report of this.proxies.values()) {
      if (report.expiresAtMs > nowMs) total += report.sessions.get(endpointId) ?? 0;
    }
    return total;
  }

  /** Drop reports whose TTL has passed. */
  expire(nowMs: number): void {
    for (const [proxyId, report] of this.proxies) if (report.expiresAtMs <= nowMs) this.proxies.delete(proxyId);
  }

  /** Forget an endpoint everywhere (deprovisioned). */
  forget(endpointId: string): void {
    for (const report of this.proxies.values()) report.sessions.delete(endpointId);
  }
}
