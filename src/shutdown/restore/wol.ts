import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import type { WolConfig } from '../../config/restore-schema.js';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import type { HostPower } from './host-power.js';
import { magicPacket } from './magic-packet.js';

/** The IPv4 address of a named interface: the packet leaves from it, so it goes out on that LAN. */
export function interfaceAddress(
  name: string,
  interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces(),
): string {
  const v4 = (interfaces[name] ?? []).find((a) => a.family === 'IPv4');
  if (!v4) {
    const known = Object.keys(interfaces).join(', ');
    throw new UpsguardError(
      ErrorCode.DriverUnreachable,
      `wake-on-lan: interface ${name} has no IPv4 address (interfaces here: ${known || 'none'})`,
    );
  }
  return v4.address;
}

/** Wake-on-LAN: it can power a host on, never tell its state or turn it off. */
export class WakeOnLan implements HostPower {
  readonly describe: string;

  constructor(
    private readonly host: string,
    private readonly cfg: WolConfig,
    private readonly timeoutMs: number,
  ) {
    this.describe = `wake-on-lan ${cfg.mac.toLowerCase()} via ${cfg.broadcast}:${cfg.port}`;
  }

  async powerOn(): Promise<void> {
    const packet = magicPacket(this.cfg.mac);
    const from = this.cfg.interface === undefined ? undefined : interfaceAddress(this.cfg.interface);
    const socket = createSocket('udp4');
    const fail = (why: string) =>
      new UpsguardError(ErrorCode.DriverUnreachable, `${this.host}: wake-on-lan to ${this.cfg.broadcast}: ${why}`);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(fail(`no send within ${this.timeoutMs} ms`)), this.timeoutMs);
        socket.once('error', (err) => {
          clearTimeout(timer);
          reject(fail(errorMessage(err)));
        });
        socket.bind({ address: from, port: 0 }, () => {
          socket.setBroadcast(true);
          void this.sendAll(socket, packet).then(
            () => {
              clearTimeout(timer);
              resolve();
            },
            (err: unknown) => {
              clearTimeout(timer);
              reject(fail(errorMessage(err)));
            },
          );
        });
      });
    } finally {
      socket.close();
    }
  }

  private async sendAll(socket: ReturnType<typeof createSocket>, packet: Buffer): Promise<void> {
    // UDP: one packet may be lost, so the same packet goes out `repeat` times.
    for (let i = 0; i < this.cfg.repeat; i++) {
      await new Promise<void>((resolve, reject) => {
        socket.send(packet, this.cfg.port, this.cfg.broadcast, (err) => (err ? reject(err) : resolve()));
      });
    }
  }
}
