/** A real UPS as recorded: its report descriptor, its USB strings and the reports it answered. */
export interface RecordedDevice {
  readonly name: string;
  readonly vendorId: number;
  readonly productId: number;
  readonly descriptorHex: string;
  /** USB string descriptors by index. */
  readonly strings: Readonly<Record<string, string>>;
  /** Report bytes (hex, ID byte first) by type and report ID, as the device sent them. */
  readonly reports: {
    readonly feature: Readonly<Record<string, string>>;
    readonly input: Readonly<Record<string, string>>;
  };
}
