import type { UpsSnapshot } from '../../ups/events.js';
import type { UpsCommand } from '../../ups/pdc/index.js';
import { commandView } from '../../web/routes/ups-commands.js';
import { haId, type MqttTopics } from './topics.js';

/** One retained Home Assistant discovery config message. */
export interface DiscoveryMessage {
  readonly topic: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

interface SensorSpec {
  readonly key: string;
  readonly name: string;
  readonly component: 'sensor' | 'binary_sensor';
  readonly value: string;
  readonly device_class?: string;
  readonly unit_of_measurement?: string;
  readonly state_class?: string;
  readonly entity_category?: string;
  readonly payload_on?: string;
  readonly payload_off?: string;
  readonly options?: readonly string[];
}

/** The entities of one UPS, read from its retained state topic. */
const UPS_SENSORS: readonly SensorSpec[] = [
  {
    key: 'battery_charge',
    name: 'Battery charge',
    component: 'sensor',
    value: 'charge',
    device_class: 'battery',
    unit_of_measurement: '%',
    state_class: 'measurement',
  },
  {
    key: 'battery_runtime',
    name: 'Battery runtime',
    component: 'sensor',
    value: 'runtime_s',
    device_class: 'duration',
    unit_of_measurement: 's',
    state_class: 'measurement',
  },
  {
    key: 'load',
    name: 'Load',
    component: 'sensor',
    value: 'load_pct',
    unit_of_measurement: '%',
    state_class: 'measurement',
  },
  {
    key: 'input_voltage',
    name: 'Input voltage',
    component: 'sensor',
    value: 'input_voltage',
    device_class: 'voltage',
    unit_of_measurement: 'V',
    state_class: 'measurement',
  },
  {
    key: 'output_voltage',
    name: 'Output voltage',
    component: 'sensor',
    value: 'output_voltage',
    device_class: 'voltage',
    unit_of_measurement: 'V',
    state_class: 'measurement',
  },
  {
    key: 'battery_voltage',
    name: 'Battery voltage',
    component: 'sensor',
    value: 'battery_voltage',
    device_class: 'voltage',
    unit_of_measurement: 'V',
    state_class: 'measurement',
  },
  { key: 'status', name: 'Status', component: 'sensor', value: 'words' },
  { key: 'ups_status', name: 'Status flags', component: 'sensor', value: 'status', entity_category: 'diagnostic' },
  { key: 'mains', name: 'Mains power', component: 'binary_sensor', value: 'mains', device_class: 'power' },
  {
    key: 'low_battery',
    name: 'Low battery',
    component: 'binary_sensor',
    value: 'low_battery',
    device_class: 'battery',
  },
  {
    key: 'connected',
    name: 'Connected',
    component: 'binary_sensor',
    value: 'connected',
    device_class: 'connectivity',
    entity_category: 'diagnostic',
  },
];

export const APPLIANCE_NODE = 'upsguard';
const ORIGIN = { name: 'upsguard' } as const;

function sensorConfig(
  spec: SensorSpec,
  node: string,
  stateTopic: string,
  availability: string,
  device: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const { key, name, component, value, ...rest } = spec;
  return {
    name,
    unique_id: `${node}_${key}`,
    object_id: `${node}_${key}`,
    state_topic: stateTopic,
    // A missing or null value leaves the entity unknown instead of showing a made-up 0.
    value_template: `{{ value_json.${value} if value_json.${value} is not none else 'unknown' }}`,
    availability_topic: availability,
    payload_available: 'online',
    payload_not_available: 'offline',
    ...(component === 'binary_sensor' ? { payload_on: 'ON', payload_off: 'OFF' } : {}),
    ...rest,
    device,
    origin: ORIGIN,
  };
}

/** Home Assistant's device for the appliance, the same wherever an entity of it is announced. */
export function applianceDevice(appliance: string): { node: string; device: Readonly<Record<string, unknown>> } {
  const node = haId(`${APPLIANCE_NODE}_${appliance}`);
  return {
    node,
    device: { identifiers: [node], name: `upsguard ${appliance}`, manufacturer: 'upsguard', model: 'appliance' },
  };
}

/** The appliance's own device: the policy decision and the plan hang off it; each UPS is `via` it. */
export function applianceDiscovery(topics: MqttTopics, appliance: string): DiscoveryMessage[] {
  const { node, device } = applianceDevice(appliance);
  const availability = topics.availability();
  const specs: { spec: SensorSpec; topic: string }[] = [
    {
      spec: {
        key: 'policy_level',
        name: 'Policy',
        component: 'sensor',
        value: 'level',
        device_class: 'enum',
        options: ['normal', 'warning', 'critical'],
      },
      topic: topics.decision(),
    },
    { spec: { key: 'policy_rule', name: 'Policy rule', component: 'sensor', value: 'rule' }, topic: topics.decision() },
    {
      spec: { key: 'decision', name: 'Decision', component: 'sensor', value: 'sentence' },
      topic: topics.decision(),
    },
    {
      spec: {
        key: 'plan_estimate',
        name: 'Plan estimate',
        component: 'sensor',
        value: 'estimate_s',
        device_class: 'duration',
        unit_of_measurement: 's',
        state_class: 'measurement',
      },
      topic: topics.plan(),
    },
    { spec: { key: 'plan_status', name: 'Plan status', component: 'sensor', value: 'status' }, topic: topics.plan() },
    {
      spec: {
        key: 'shutdown_running',
        name: 'Shutdown running',
        component: 'binary_sensor',
        value: "'ON' if value_json.running else 'OFF'",
        device_class: 'running',
      },
      topic: topics.plan(),
    },
  ];
  return specs.map(({ spec, topic }) => {
    const payload = sensorConfig(spec, node, topic, availability, device);
    // A template expression (not a key) is written whole.
    if (spec.value.includes(' ')) payload.value_template = `{{ ${spec.value} }}`;
    return { topic: topics.discovery(spec.component, node, spec.key), payload };
  });
}

/** One UPS's device and entities; a button per allowed command the UPS supports. */
export function upsDiscovery(
  topics: MqttTopics,
  appliance: string,
  ups: { name: string; description?: string | undefined },
  s: UpsSnapshot,
  commands: readonly UpsCommand[],
): DiscoveryMessage[] {
  const node = haId(`${APPLIANCE_NODE}_${ups.name}`);
  const v = s.variables;
  const device: Record<string, unknown> = {
    identifiers: [node],
    name: ups.description ?? ups.name,
    manufacturer: v['device.mfr'] ?? v['ups.mfr'] ?? 'unknown',
    model: v['device.model'] ?? v['ups.model'] ?? 'UPS',
    via_device: haId(`${APPLIANCE_NODE}_${appliance}`),
  };
  const serial = v['device.serial'] ?? v['ups.serial'];
  if (serial) device.serial_number = serial;
  const availability = topics.availability();
  const out: DiscoveryMessage[] = UPS_SENSORS.map((spec) => ({
    topic: topics.discovery(spec.component, node, spec.key),
    payload: sensorConfig(spec, node, topics.upsState(ups.name), availability, device),
  }));
  for (const cmd of commands) {
    const key = `command_${haId(cmd)}`;
    out.push({
      topic: topics.discovery('button', node, key),
      payload: {
        name: cmd,
        unique_id: `${node}_${key}`,
        object_id: `${node}_${key}`,
        command_topic: topics.command(ups.name),
        // One that cuts power carries its confirmation: the user allowed it by name in the config.
        payload_press: commandView(cmd).confirm ? JSON.stringify({ command: cmd, confirm: ups.name }) : cmd,
        availability_topic: availability,
        payload_available: 'online',
        payload_not_available: 'offline',
        entity_category: 'config',
        device,
        origin: ORIGIN,
      },
    });
  }
  return out;
}

/**
 * A Home Assistant `event` entity on the appliance's device fed by an `mqtt` notification channel: each message's
 * `event_type` (ONBATT, LOWBATT, SHUTDOWN…) fires it, with the UPS, severity, message and ids as attributes, so an
 * automation triggers on the type and filters on `ups`. No availability topic: the channel connects only to send, and
 * the entity must not turn unavailable between events.
 */
export function eventEntityDiscovery(
  topics: MqttTopics,
  appliance: string,
  channel: string,
  stateTopic: string,
  eventTypes: readonly string[],
): DiscoveryMessage {
  const { node, device } = applianceDevice(appliance);
  const key = `events_${haId(channel)}`;
  return {
    topic: topics.discovery('event', node, key),
    payload: {
      name: `Events (${channel})`,
      unique_id: `${node}_${key}`,
      object_id: `${node}_${key}`,
      state_topic: stateTopic,
      event_types: [...eventTypes],
      qos: 1,
      device,
      origin: ORIGIN,
    },
  };
}
