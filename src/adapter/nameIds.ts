// Small integer ids for the names a trace repeats (event names, device names), in the order first seen. Events of
// one name come in runs and name it with one string, so the name asked about last answers without a lookup.
export class NameIds {
  /** The names by id. */
  readonly names: string[] = [];
  private readonly index = new Map<string, number>();
  private lastName: string | undefined;
  private lastId = -1;

  /** The id of `name`, given it if it has none yet. */
  idOf(name: string): number {
    if (name === this.lastName) return this.lastId;
    let id = this.index.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.index.set(name, id);
    }
    this.lastName = name;
    this.lastId = id;
    return id;
  }

  /** The id of `name`, if it has one. */
  find(name: string): number | undefined {
    return this.index.get(name);
  }
}
