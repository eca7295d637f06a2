/**
 * Undo steps collected while a benchmark builds its setup, run in reverse
 * order whatever happened. A failing step is reported and the rest still run,
 * so one stuck process never leaves namespaces behind.
 */
export type UndoStep = () => void | Promise<unknown>;

export class Cleanup {
  private readonly steps: Array<{ what: string; undo: UndoStep }> = [];

  /** Registers an undo step; the last registered runs first. */
  defer(what: string, undo: UndoStep): void {
    this.steps.push({ what, undo });
  }

  /** Runs and forgets every step (newest first); returns the failures as messages. */
  async run(): Promise<string[]> {
    const failures: string[] = [];
    while (this.steps.length > 0) {
      const { what, undo } = this.steps.pop()!;
      try {
        await undo();
      } catch (err) {
        failures.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    for (const f of failures) process.stderr.write(`cleanup failed: ${f}\n`);
    return failures;
  }
}
