/**
 * `/readyz`: whether a load balancer should send this node traffic. Local checks (LevelDB open,
 * replica running) are read on every probe; dependency checks (Redis, PostgreSQL when configured)
 * are pings whose result is cached for `cacheMs`, so a probe every second costs at most one ping
 * per dependency per period, and probes arriving together share it. Draining (SIGTERM's grace
 * period) turns the answer false while the node keeps serving, so balancers stop sending new
 * requests before the listener closes.
 */
import type { Readiness } from '../app.js';

export interface DependencyCheck {
  readonly name: string;
  /** Resolves when the dependency answered; rejects (or times out) when it did not. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface ReadinessProbeOptions {
  /** Local checks, read on every probe: name → healthy. */
  readonly local: Readonly<Record<string, () => boolean>>;
  readonly dependencies?: readonly DependencyCheck[];
  /** How long a ping's result is reused (default 2 s). */
  readonly cacheMs?: number;
  /** A ping slower than this counts as failed (default 1 s). */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

interface Cached {
  ok: boolean;
  at: number;
  inflight: Promise<void> | undefined;
}

export class ReadinessProbe {
  private draining = false;
  private readonly cached = new Map<DependencyCheck, Cached>();
  private readonly cacheMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: ReadinessProbeOptions) {
    this.cacheMs = options.cacheMs ?? 2_000;
    this.timeoutMs = options.timeoutMs ?? 1_000;
    this.now = options.now ?? Date.now;
    for (const d of options.dependencies ?? [])
      this.cached.set(d, { ok: false, at: Number.NEGATIVE_INFINITY, inflight: undefined });
  }

  /** From now on the node reports not ready (it still serves): the start of a graceful stop. */
  drain(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async read(): Promise<Readiness> {
    const checks: Record<string, boolean> = {};
    for (const [name, check] of Object.entries(this.options.local)) checks[name] = safe(check);
    await Promise.all(
      [...this.cached].map(async ([dep, entry]) => {
        checks[dep.name] = await this.dependencyOk(dep, entry);
      }),
    );
    checks.draining = this.draining;
    const ready = !this.draining && Object.entries(checks).every(([k, v]) => k === 'draining' || v);
    return { ready, checks };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.cached.keys()].map((d) => d.close()));
  }

  private async dependencyOk(dep: DependencyCheck, entry: Cached): Promise<boolean> {
    if (this.now() - entry.at < this.cacheMs) return entry.ok;
    entry.inflight ??= withTimeout(dep.ping(), this.timeoutMs).then(
      () => this.settle(entry, true),
      () => this.settle(entry, false),
    );
    await entry.inflight;
    return entry.ok;
  }

  private settle(entry: Cached, ok: boolean): void {
    entry.ok = ok;
    entry.at = this.now();
    entry.inflight = undefined;
  }
}

function safe(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
