/**
 * The start signal of a process the pre-step starts early (the freeze holder, the shipping child): it gets
 * ready, then waits for a `go` line on stdin. The end of stdin (the pre-step failed or died), anything else
 * on it, the deadline or `cancel` mean no.
 */
export function waitForGoLine(stdin: NodeJS.ReadStream, deadlineMs: number): { go: Promise<boolean>; cancel: () => void } {
  let finish: (go: boolean) => void = () => undefined;
  const go = new Promise<boolean>((resolve) => {
    let read = '';
    const timer = setTimeout(() => finish(false), Math.max(0, deadlineMs - Date.now()));
    const onData = (chunk: Buffer): void => {
      read += chunk.toString('utf8');
      if (read.includes('\n') || read.length > 16) finish(read.startsWith('go\n'));
    };
    const onEnd = (): void => finish(false);
    finish = (answer: boolean): void => {
      finish = () => undefined;
      clearTimeout(timer);
      stdin.off('data', onData).off('end', onEnd).off('error', onEnd);
      stdin.destroy();
      resolve(answer);
    };
    stdin.on('data', onData).on('end', onEnd).on('error', onEnd);
  });
  return { go, cancel: () => finish(false) };
}
