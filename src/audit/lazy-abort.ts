/**
 * The abort of one sink call, made only if the sink asks for its signal: an
 * AbortController costs microseconds, a batch is written per turn of the event
 * loop, and the stdout and file sinks never look at the signal. A sink that
 * takes the signal after the abort gets it already aborted, with the reason.
 */
export class LazyAbort {
  private controller: AbortController | undefined;
  private reason: Error | undefined;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: Error): void {
    this.reason ??= reason;
    this.controller?.abort(reason);
  }
}
