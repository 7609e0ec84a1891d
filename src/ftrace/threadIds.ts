// Threads of this process by their id in the system, where /proc tells it (Linux): a reading thread that dies without
// a word (out of memory, say) is then seen gone at once by the thread waiting for its batches.
import * as fs from 'fs';

/** The id of the calling thread in the system, where /proc tells it, else 0. */
export function systemThreadId(): number {
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop()) || 0;
    // Only where the process's task list shows it, as the waiting thread will look for it there.
    return tid > 0 && fs.existsSync(`/proc/self/task/${tid}`) ? tid : 0;
  } catch {
    return 0;
  }
}

/** Whether the thread of system id `tid` (0: not known) still runs in this process. */
export function threadAlive(tid: number): boolean {
  return tid === 0 || fs.existsSync(`/proc/self/task/${tid}`);
}
