/** A one-line progress bar on stderr, drawn only when stderr is a terminal. */

const BAR_WIDTH = 30;
const REDRAW_INTERVAL_STEPS = 64;

export interface Progress {
  update(done: number, total: number): void;
  finish(): void;
}

export function terminalProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update() {}, finish() {} };
  let drawn = false;
  return {
    update(done, total) {
      if (done % REDRAW_INTERVAL_STEPS !== 0 && done !== total) return;
      const fraction = total === 0 ? 1 : done / total;
      const filled = Math.round(fraction * BAR_WIDTH);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${done}/${total}`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\n');
    },
  };
}
