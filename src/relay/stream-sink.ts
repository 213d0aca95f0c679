/**
 * Where a streamed answer goes (the server's SSE channel implements it). Opening it sends status 200 and the
 * headers; until then the request can still be answered with a plain error.
 */
export interface StreamSink {
  /** Status and headers went out (a first frame or a ping did it). */
  readonly opened: boolean;
  /** The client went away, or the stream ended. */
  readonly closed: boolean;
  /** Writes whole frames (each ends with a blank line), opening the response first; waits for the client to drain. */
  write(frames: readonly string[]): Promise<void>;
  /** Writes the dialect's keep-alive frame, opening the response first. */
  ping(): Promise<void>;
  /** Ends the response (opening it first if it never was). */
  end(): void;
}
