// Compiling and instantiating the WebAssembly modules the build generates (`wasm/*Wasm.ts` hold their bytes): they
// import nothing, and the ES2022 lib's types do not declare the WebAssembly JavaScript API, so it is declared here.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
const { Module, Instance } = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Compiles the module whose bytes are `base64`. */
export function compileModule(base64: string): object {
  return new Module(Buffer.from(base64, 'base64'));
}

/** The exports of a new instance of `module`, with its own memory. */
export function instantiate<T>(module: object): T {
  return new Instance(module).exports as T;
}
