// The trace reader and checker as the CLI and the debug adapter use them: stream a capture's records, apply them
// to a checker whose state can be queried after any event, gather a report, or write a scenario.
export { TraceCursor, displayTask, type CursorStart } from './reader';
export { EventStream, type Ahead } from './eventStream';
export { replayEvent, type HotEventSink } from './hotEvents';
export { TraceRecord, type RecordKind } from './record';
export { decodeEvent, type DmaEvent, type TraceDirection } from './events';
export { allFields, heldExactly, type FieldEntry } from './fields';
export { TraceChecker, describe, syncReaches, type CheckOptions, type FenceState } from './checker';
export type { DeviceState, DeviceStats } from './deviceState';
export type { IommuMapping, IommuState } from './iommuState';
export type { Allocation, Origin, Segment, StreamingMapping } from './mappings';
export { isBug, type FindingKind, type TraceFinding } from './findings';
export { checkTrace, type DeviceSummary, type TraceReport } from './check';
export { formatReport } from './reportText';
export { importTrace } from './importer';
