/**
 * A progress line on stderr while something waits ("starting alpha… 3s"): redrawn on a terminal,
 * a single line otherwise (logs stay readable). Cleared when the wait ends.
 */
export async function withProgress<T>(label: string, work: Promise<T>): Promise<T> {
  const tty = process.stderr.isTTY === true;
  const began = Date.now();
  if (!tty) {
    process.stderr.write(`${label}…\n`);
    return work;
  }
  const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  let i = 0;
  const draw = () => process.stderr.write(`\r${frames[i++ % frames.length]} ${label}… ${Math.floor((Date.now() - began) / 1000)}s`);
  draw();
  const timer = setInterval(draw, 100);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    process.stderr.write("\r\x1b[2K");
  }
}
