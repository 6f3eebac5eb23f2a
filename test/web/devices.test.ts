import { describe, expect, it } from 'vitest';
import type { ExportedDeviceInfo, HostUsbDeviceInfo } from '../../src/relay/protocol.js';
import type { RelayStatus } from '../../src/ups/transport/relay-transport.js';
import type { DevicesResponse } from '../../src/web/api-types/devices.js';
import { as, readRig, snap, T0 } from './read-apis-rig.js';

const link = (over: Partial<RelayStatus> = {}): RelayStatus => ({
  url: 'relay://pve1:7700/ups',
  agentHost: 'pve1',
  link: 'connected',
  device: 'attached',
  rttMs: 1.5,
  lastSeq: 42,
  controller: true,
  claim: 'controller',
  claimProblem: null,
  problem: null,
  ...over,
});

const exported: ExportedDeviceInfo = {
  name: 'ups',
  identity: '051d:0002:3B1234',
  vendorId: 0x051d,
  productId: 0x0002,
  manufacturer: 'American Power Conversion',
  product: 'Back-UPS CS 500',
  serial: '3B1234',
  portPath: '1-2',
  bus: 1,
  deviceNumber: 5,
  state: 'attached',
  controller: 'vm1',
  leaseUntil: '2026-12-02T12:01:00.000Z',
  stateChangedAt: '2026-12-02T11:00:00.000Z',
};

const host: HostUsbDeviceInfo = {
  bus: 1,
  deviceNumber: 5,
  portPath: '1-2',
  vendorId: 0x051d,
  productId: 0x0002,
  manufacturer: null,
  product: 'Back-UPS CS 500',
  isHid: true,
  claim: 'attached by vm1',
};

describe('GET /api/devices', () => {
  it('lists each relay UPS with its link, the agent’s exported devices and its host’s USB devices; local USB by ids', async () => {
    const r = await readRig(
      [
        {
          name: 'far',
          snapshot: snap('far', T0, ['OL']),
          info: { kind: 'relay', location: 'relay://pve1:7700/ups' },
          relay: link(),
        },
        {
          name: 'near',
          snapshot: snap('near', T0, ['OL']),
          info: { kind: 'usb', location: 'usb:1-4', vendorId: 0x0764, productId: 0x0501 },
        },
        { name: 'sim', snapshot: snap('sim', T0, ['OL']) },
      ],
      {
        relayInventory: (ups) => (ups === 'far' ? () => Promise.resolve({ devices: [exported], host: [host] }) : null),
      },
    );
    const res = await r.app.inject({ url: '/api/devices', headers: as('viewer') });
    expect(res.statusCode).toBe(200);
    const body = res.json<DevicesResponse>();
    expect(body.local).toEqual([{ ups: 'near', location: 'usb:1-4', vendorId: '0764', productId: '0501' }]);
    expect(body.relays).toHaveLength(1);
    const far = body.relays[0]!;
    expect(far).toMatchObject({
      ups: 'far',
      problem: null,
      link: { link: 'connected', rttMs: 1.5, claim: 'controller' },
    });
    expect(far.devices).toEqual([
      {
        name: 'ups',
        identity: '051d:0002:3B1234',
        vendorId: '051d',
        productId: '0002',
        manufacturer: 'American Power Conversion',
        product: 'Back-UPS CS 500',
        serial: '3B1234',
        portPath: '1-2',
        state: 'attached',
        controller: 'vm1',
        leaseUntil: '2026-12-02T12:01:00.000Z',
        stateChangedAt: '2026-12-02T11:00:00.000Z',
      },
    ]);
    expect(far.host).toEqual([{ ...host, vendorId: '051d', productId: '0002' }]);
  });

  it('a relay that is down or fails to answer shows its link and why, with empty lists', async () => {
    const r = await readRig(
      [
        {
          name: 'down',
          snapshot: snap('down', T0, []),
          info: { kind: 'relay', location: 'relay://a:1/u' },
          relay: link({ link: 'unreachable', problem: 'connect ECONNREFUSED', rttMs: null }),
        },
        {
          name: 'err',
          snapshot: snap('err', T0, ['OL']),
          info: { kind: 'relay', location: 'relay://b:1/u' },
          relay: link(),
        },
      ],
      {
        relayInventory: (ups) =>
          ups === 'down'
            ? () => Promise.reject(new Error('must not be asked'))
            : () => Promise.reject(new Error('NOT_CONTROLLER: no')),
      },
    );
    const body = (await r.app.inject({ url: '/api/devices', headers: as('viewer') })).json<DevicesResponse>();
    expect(body.relays.map((x) => [x.ups, x.link.link, x.problem, x.devices.length, x.host.length])).toEqual([
      ['down', 'unreachable', 'connect ECONNREFUSED', 0, 0],
      ['err', 'connected', 'NOT_CONTROLLER: no', 0, 0],
    ]);
  });

  it('empty lists when there are no relay or USB UPSes; a viewer is needed', async () => {
    const r = await readRig([{ name: 'sim', snapshot: snap('sim', T0, ['OL']) }]);
    expect((await r.app.inject({ url: '/api/devices', headers: as('viewer') })).json()).toEqual({
      relays: [],
      local: [],
    });
    expect((await r.app.inject({ url: '/api/devices' })).statusCode).toBe(401);
  });
});
