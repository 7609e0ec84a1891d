// A device's state in the module: its live single mappings, its running figures and the ring of its releases; and
// the devices by the host's index and by the string id of their names.
import { M_WIDTH, RELEASES } from '../../commonPathLayout';
import { fits } from './budget';
import { Table } from './table';

export class Device {
  /** Two slots to begin with: a trace may name many devices that map little. */
  live: Table = new Table(M_WIDTH, 2);
  maps: f64 = 0;
  unmaps: f64 = 0;
  syncs: f64 = 0;
  bytes: f64 = 0;
  peakLive: f64 = 0;
  hasLongest: bool = false;
  longestLine: f64 = 0;
  longestDma: f64 = 0;
  longestSize: f64 = 0;
  longestSeconds: f64 = 0;
  /** Releases as address, line, epoch, in a ring that grows to RELEASES; `released` counts them all. */
  ring: usize = 0;
  ringRoom: i32 = 0;
  released: i64 = 0;

  /** Makes room for one more release, if the budget allows. */
  @inline roomForRelease(): bool {
    if (this.released < <i64>this.ringRoom || this.ringRoom == RELEASES) return true;
    // Not wrapped yet: the entries keep their places in a ring twice the size.
    const room = max(16, this.ringRoom * 2);
    if (!fits(<usize>room * 24)) return false;
    const ring = heap.alloc(<usize>room * 24);
    if (this.ringRoom > 0) memory.copy(ring, this.ring, <usize>this.ringRoom * 24);
    this.ring = ring;
    this.ringRoom = room;
    return true;
  }

  /** Logs a release (`roomForRelease` made room for it). */
  @inline release(dma: f64, line: f64, epoch: f64): void {
    const n = this.released;
    const at = this.ring + <usize>(n & <i64>(this.ringRoom - 1)) * 24;
    store<f64>(at, dma);
    store<f64>(at, line, 8);
    store<f64>(at, epoch, 16);
    this.released = n + 1;
  }
}

export const devices = new Array<Device>();
/** Per string id (the host's table of device names and attrs): its device + 1 (a pointer), 0 while it names none. */
export let deviceOf: usize = 0;
export let deviceOfRoom: i32 = 0;

/** What a device takes before it has any state: itself and its empty table. */
const DEVICE_BYTES: usize = 512;

/** String `id` names device `index`; false (nothing changed) if the budget has no room for it. */
export function nameDevice(id: i32, index: i32): bool {
  const more = max(0, index + 1 - devices.length);
  if (!fits(<usize>more * DEVICE_BYTES + (id >= deviceOfRoom ? <usize>max(id + 1, deviceOfRoom * 2) << 2 : 0))) return false;
  if (id >= deviceOfRoom) {
    const room = max(id + 1, deviceOfRoom * 2);
    const grown = heap.alloc(<usize>room << 2);
    memory.fill(grown, 0, <usize>room << 2);
    if (deviceOfRoom > 0) memory.copy(grown, deviceOf, <usize>deviceOfRoom << 2);
    deviceOf = grown;
    deviceOfRoom = room;
  }
  while (devices.length <= index) devices.push(new Device());
  store<u32>(deviceOf + (<usize>id << 2), changetype<u32>(unchecked(devices[index])));
  return true;
}
