/**
 * OpenIPMI's ipmi_sim (Debian's openipmi) run as a BMC on 127.0.0.1, for the IPMI power tests. What makes it a
 * usable stand-in for a server's BMC:
 *  - lan.conf: one LAN channel on a free UDP port, IPMI 1.5 and 2.0 (RMCP+) auth, one admin user.
 *  - the emu file adds the BMC (MC 0x20) with the chassis device.
 *  - `startcmd` is what ipmi_sim runs on "chassis power on": a long `sleep` stands for the host. Power status is on
 *    while that process lives; "power off" kills it at once (`poweroff_wait 0`: no VM connection to ask nicely).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './until.js';

export const haveIpmiSim = existsSync('/usr/bin/ipmi_sim') && existsSync('/usr/bin/ipmitool');

export interface IpmiSim {
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** Whether the simulated host (the startcmd process) runs now. */
  hostRunning(): boolean;
  stop(): Promise<void>;
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function startIpmiSim(password = 'bmc-pass-7Q'): Promise<IpmiSim> {
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-ipmi-'));
  const port = await freeUdpPort();
  const serialPort = await freeUdpPort();
  // A marker in the host's command line, so the test can find exactly this simulator's "host".
  const marker = `${Date.now() % 1_000_000}${process.pid}`;
  const auths = 'none md2 md5 straight';
  writeFileSync(
    join(dir, 'lan.conf'),
    [
      'name "upsguardbmc"',
      'set_working_mc 0x20',
      '  startlan 1',
      `    addr 127.0.0.1 ${port}`,
      '    priv_limit admin',
      ...['callback', 'user', 'operator', 'admin'].map((p) => `    allowed_auths_${p} ${auths}`),
      '    guid a123456789abcdefa123456789abcdef',
      '  endlan',
      `  serial 15 127.0.0.1 ${serialPort} codec VM`,
      `  startcmd "sleep 9${marker}"`,
      '  startnow false',
      '  poweroff_wait 0',
      '  kill_wait 2',
      `  user 2 true "admin" "${password}" admin 10 ${auths}`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'bmc.emu'),
    'mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nmc_enable 0x20\n',
  );
  mkdirSync(join(dir, 'state'));
  const child: ChildProcess = spawn(
    '/usr/bin/ipmi_sim',
    ['-c', join(dir, 'lan.conf'), '-f', join(dir, 'bmc.emu'), '-s', join(dir, 'state'), '-n'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const hostRunning = () => spawnSync('pgrep', ['-f', `sleep 9${marker}`]).status === 0;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    spawnSync('pkill', ['-f', `sleep 9${marker}`]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(
      'ipmi_sim to answer',
      () =>
        spawnSync(
          'ipmitool',
          [
            '-I',
            'lanplus',
            '-C',
            '3',
            '-H',
            '127.0.0.1',
            '-p',
            String(port),
            '-U',
            'admin',
            '-E',
            'chassis',
            'power',
            'status',
          ],
          { env: { ...process.env, IPMI_PASSWORD: password }, timeout: 5000 },
        ).status === 0 || (child.exitCode !== null ? Promise.reject(new Error(`ipmi_sim exited: ${stderr}`)) : false),
      15_000,
      200,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, username: 'admin', password, hostRunning, stop };
}
