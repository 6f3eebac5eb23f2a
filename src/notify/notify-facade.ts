import type { NotifyOverview } from '../web/api-types/notify.js';

/** What the web layer asks of notifications: the overview, and a test message for a channel. */
export interface NotifyFacade {
  overview(): NotifyOverview;
  /** Queues a test message; null when no channel has that name. */
  sendTest(channel: string, by: string): { messageId: string } | null;
}
