/**
 * What the compose run has set up, undone in reverse order: processes, /etc/hosts entries,
 * broker users, databases, temporary directories. Each step runs once, even when several
 * failures (an error, then a signal) ask for the clean-up.
 */
export class Cleanup {
  private readonly steps: { what: string; undo: () => Promise<void> | void }[] = [];

  /** Registers `undo`, run at the end before every step registered earlier. */
  add(what: string, undo: () => Promise<void> | void): void {
    this.steps.push({ what, undo });
  }

  /** Runs every registered step, newest first; a failing step is reported and skipped. */
  async run(): Promise<void> {
    for (let step = this.steps.pop(); step !== undefined; step = this.steps.pop()) {
      try {
        await step.undo();
        console.log(`clean-up: ${step.what}: done`);
      } catch (error) {
        console.error(`clean-up: ${step.what} failed: ${(error as Error).message}`);
      }
    }
  }
}
