// The server's response shapes, from src/web/api-types/ (type-only modules): a change there breaks the page's
// typecheck instead of the page.
export type { WebRole as Role } from '../access.js';
export type { LoginInfo, Me, MeWithOverview } from '../api-types/auth.js';
export type { DecisionResponse as Decision } from '../api-types/decision.js';
export type { DevicesResponse } from '../api-types/devices.js';
export type { EventsResponse, EventView as EventItem } from '../api-types/events.js';
export type {
  HistoryMarkerView as HistoryMarker,
  HistorySeriesView as HistorySeries,
  HistoryRange,
  HistoryResponse,
} from '../api-types/history.js';
export type { NutStateResponse, UpsCommandResult, UpsCommandsResponse, UpsCommandView } from '../api-types/nut.js';
export type { StatusResponse, StoreView as StoreStatus, UpsStatusView as UpsStatus } from '../api-types/status.js';
