/**
 * A measurement tool failed (did not start, exited non-zero, printed an error
 * or produced output we cannot read). Carries the tool name and the last lines
 * of its stderr so a failed `make bench` says why without a rerun.
 */
export class MeasureError extends Error {
  readonly tool: string;

  constructor(tool: string, message: string, options?: { cause?: unknown }) {
    super(`${tool}: ${message}`, options);
    this.name = 'MeasureError';
    this.tool = tool;
  }
}

/** The last few non-empty lines of a tool's output, for error messages. */
export function tail(text: string, lines = 3): string {
  return text.trim().split('\n').filter(Boolean).slice(-lines).join(' | ');
}
