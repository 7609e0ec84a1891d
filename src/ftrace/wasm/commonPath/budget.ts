// The memory this module may take. A wasm32 module cannot grow past 4 GiB, and running out there would trap in the
// middle of an event; so the module stops growing at a budget well below, and declines the event that would need
// more (the checker, in JavaScript memory, takes over the state and goes on). The budget leaves room for the copies
// of the tables that hand the state over.

let budget: u64 = 0x80000000;

/** Sets the budget (a test sets a small one). */
export function setBudget(bytes: f64): void {
  budget = <u64>bytes;
}

/** Whether `bytes` more fit in the budget (the memory grown so far counts as used). */
export function fits(bytes: usize): bool {
  return (<u64>memory.size() << 16) + <u64>bytes <= budget;
}
