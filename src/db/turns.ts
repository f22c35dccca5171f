import { ServiceUnavailableError } from "../errors";

/** The request whose work this was has been abandoned (its client went away); nothing awaits the result. */
export class AbandonedError extends ServiceUnavailableError {
  constructor() {
    super("The client has gone: the request was abandoned.");
  }
}

/**
 * One holder's turn of the SQLite queue. It ends when its holder is done; a holder whose client has
 * gone is closed with `refuse`: the turn ends as soon as the transaction it is in the middle of ends
 * (never inside one, which would interleave two transactions on SQLite's one connection), and any
 * later work of it is refused.
 */
export class Turn {
  private active = 0;
  private closing = false;
  refused = false;
  ended = false;

  constructor(private readonly onEnd: () => void) {}

  /** Runs `work` (a transaction, a read that must see no one's uncommitted rows) inside this turn. */
  async within<T>(work: () => Promise<T>): Promise<T> {
    if (this.ended || this.refused) throw new AbandonedError();
    this.active += 1;
    try {
      return await work();
    } finally {
      this.active -= 1;
      if (this.closing && !this.active) this.end();
    }
  }

  /** No more work is expected (or, with `refuse`, allowed): end as soon as nothing runs inside. */
  close(refuse: boolean): void {
    this.closing = true;
    if (refuse) this.refused = true;
    if (!this.active) this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
  }
}

/**
 * First come, first served turns (R33): a waiter whose signal aborts leaves the line and never takes a
 * turn; one that has waited `timeoutMs` leaves it with SERVICE_UNAVAILABLE.
 */
export class TurnQueue {
  private current: Turn | null = null;
  private readonly waiting: { grant(): void }[] = [];

  get length(): number {
    return this.waiting.length + (this.current ? 1 : 0);
  }

  take(signal: AbortSignal | undefined, timeoutMs: number): Promise<Turn> {
    if (signal?.aborted) return Promise.reject(new AbandonedError());
    if (!this.current) return Promise.resolve(this.begin());
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          cleanup();
          resolve(this.begin());
        },
      };
      const leave = (error: Error) => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        cleanup();
        reject(error);
      };
      const timer =
        timeoutMs > 0
          ? setTimeout(
              () => leave(new ServiceUnavailableError(`The service is busy: no turn came within ${timeoutMs} ms; try again shortly.`)),
              timeoutMs,
            )
          : null;
      const onAbort = () => leave(new AbandonedError());
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private begin(): Turn {
    const turn = new Turn(() => {
      if (this.current !== turn) return;
      this.current = null;
      this.waiting.shift()?.grant();
    });
    this.current = turn;
    return turn;
  }
}
