// Byte-addressed physical memory with 4 KiB pages that are mapped or not. Kernel data, thread control blocks
// and stacks live here; guard pages between stacks are left unmapped so an overflow faults as it would under
// a real page table. Values are 64-bit words stored little-endian; the emulator keeps them as JS numbers,
// exact within +-2^53, which covers every address and value the kernel uses (a negative number is the
// two's-complement word it stands for).

export const PAGE = 0x1000;

/** A machine exception raised by an instruction: the run stops and reports it. */
export class Fault extends Error {
  constructor(
    /** `#PF`, `#GP`, `#UD`, `panic`, `illegal-return`. */
    readonly vector: string,
    readonly reason: string,
    /** The faulting address (data address, fetch address or non-canonical value). */
    readonly address: number | null,
  ) {
    super(`${vector} ${reason}${address === null ? '' : ` at ${hex(address)}`}`);
  }
}

/** A 64-bit hexadecimal rendering of a word (negative numbers as their two's complement). */
export function hex(value: number): string {
  return `0x${BigInt.asUintN(64, BigInt(Math.trunc(value))).toString(16)}`;
}

/** x86_64 canonical form: bits 63..47 all equal. */
export function canonical(address: number): boolean {
  return address >= -(2 ** 47) && address < 2 ** 47;
}

export class Memory {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly mapped: Uint8Array;

  constructor(
    readonly base: number,
    readonly size: number,
  ) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.mapped = new Uint8Array(Math.ceil(size / PAGE));
  }

  map(address: number, length: number): void {
    for (let a = address; a < address + length; a += PAGE) this.mapped[this.page(a)] = 1;
  }

  unmap(address: number, length: number): void {
    for (let a = address; a < address + length; a += PAGE) this.mapped[this.page(a)] = 0;
  }

  isMapped(address: number): boolean {
    const offset = address - this.base;
    return offset >= 0 && offset < this.size && this.mapped[Math.floor(offset / PAGE)] === 1;
  }

  read(address: number): number {
    const offset = this.check(address, 'read');
    const lo = this.view.getUint32(offset, true);
    const hi = this.view.getInt32(offset + 4, true);
    return hi * 2 ** 32 + lo;
  }

  write(address: number, value: number): void {
    const offset = this.check(address, 'write');
    const lo = ((value % 2 ** 32) + 2 ** 32) % 2 ** 32;
    this.view.setUint32(offset, lo, true);
    this.view.setInt32(offset + 4, Math.floor(value / 2 ** 32) | 0, true);
  }

  private page(address: number): number {
    const offset = address - this.base;
    if (offset < 0 || offset >= this.size) throw new RangeError(`address ${hex(address)} outside memory`);
    return Math.floor(offset / PAGE);
  }

  private check(address: number, access: 'read' | 'write'): number {
    if (!canonical(address)) throw new Fault('#GP', `non-canonical ${access}`, address);
    if (address % 8 !== 0 && address % 8 !== -0) throw new Fault('#AC', `misaligned ${access}`, address);
    if (!this.isMapped(address)) throw new Fault('#PF', `${access} of an unmapped address`, address);
    return address - this.base;
  }
}
