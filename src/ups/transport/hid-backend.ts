/**
 * The native layer under the local transport, reduced to what it uses. The real one loads node-hid lazily (only when
 * a real device is configured), so the demo, the tests and machines without libusb never load the native module.
 */
export interface HidDeviceEntry {
  readonly vendorId: number;
  readonly productId: number;
  readonly path: string;
  readonly serial?: string;
  readonly manufacturer?: string;
  readonly product?: string;
  readonly usagePage?: number;
  readonly interfaceNumber: number;
}

export interface HidHandle {
  getFeatureReport(reportId: number, length: number): Promise<Uint8Array>;
  sendFeatureReport(data: Uint8Array): Promise<number>;
  onData(fn: (report: Uint8Array) => void): void;
  onError(fn: (err: Error) => void): void;
  close(): Promise<void>;
}

export interface HidBackend {
  list(): Promise<HidDeviceEntry[]>;
  open(path: string): Promise<HidHandle>;
  /** The report descriptor as the kernel holds it (hidraw sysfs on Linux). */
  reportDescriptor(path: string): Promise<Uint8Array>;
  /** The USB port path (`1-1.4`) of a hidraw node, when it can be found. */
  portPath(path: string): Promise<string | undefined>;
  /** A USB string descriptor by index, read over the control pipe. */
  getString(portPath: string, index: number): Promise<string | undefined>;
}
