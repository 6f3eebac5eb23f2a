/**
 * Every topic upsguard publishes or listens on, from the configured prefixes. UPS names are config names (letters,
 * digits, `.`, `-`, `_`), so they are topic levels as they are; Home Assistant's ids take `.` as `_`.
 */
export class MqttTopics {
  constructor(
    private readonly prefix: string,
    private readonly discoveryPrefix: string,
  ) {}

  /** `online` / `offline` (the last will), retained: Home Assistant's availability topic for every entity. */
  availability(): string {
    return `${this.prefix}/status`;
  }

  upsState(ups: string): string {
    return `${this.prefix}/ups/${ups}/state`;
  }

  upsVariables(ups: string): string {
    return `${this.prefix}/ups/${ups}/variables`;
  }

  command(ups: string): string {
    return `${this.prefix}/ups/${ups}/command`;
  }

  /** What one command did (not retained): `{ command, ok, message }`. */
  commandResult(ups: string): string {
    return `${this.prefix}/ups/${ups}/command/result`;
  }

  /** The subscription that catches every UPS's command topic. */
  commandFilter(): string {
    return `${this.prefix}/ups/+/command`;
  }

  /** The UPS a command topic is for, or null for any other topic. */
  upsOfCommand(topic: string): string | null {
    const head = `${this.prefix}/ups/`;
    if (!topic.startsWith(head) || !topic.endsWith('/command')) return null;
    const ups = topic.slice(head.length, -'/command'.length);
    return /^[A-Za-z0-9_.-]{1,64}$/.test(ups) ? ups : null;
  }

  /** Where the `mqtt` notification channel publishes each event by default (not retained). */
  events(): string {
    return `${this.prefix}/events`;
  }

  decision(): string {
    return `${this.prefix}/decision`;
  }

  plan(): string {
    return `${this.prefix}/plan`;
  }

  /** `<discovery>/<component>/<node>/<object>/config`: one retained config message per entity. */
  discovery(component: 'sensor' | 'binary_sensor' | 'button' | 'event', node: string, object: string): string {
    return `${this.discoveryPrefix}/${component}/${haId(node)}/${haId(object)}/config`;
  }

  /** Every discovery topic of this appliance, for a subscription that finds stale ones. */
  discoveryFilter(): string {
    return `${this.discoveryPrefix}/+/+/+/config`;
  }
}

/** A Home Assistant id (node, object, unique id): letters, digits, `_` and `-`. */
export function haId(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_');
}
