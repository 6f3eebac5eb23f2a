// The shell: who is logged in, the header and nav (only what the role may use), the banners, and the routed view.
import { useEffect, useState } from 'preact/hooks';
import { getJson, onUnauthorized, refreshMe, send, setMe } from './api.js';
import { html } from './html.js';
import { closeLive, onLinkState, type LinkState } from './live.js';
import { useRoute } from './router.js';
import { notReached, onBattery } from './status-words.js';
import { resetStatus, seedStatus, useLiveStatus } from './status-store.js';
import type { LoginInfo, Me, Role } from './types.js';
import { LoginView } from './views/login.js';
import { OverviewView } from './views/overview.js';
import { HistoryView } from './views/history.js';
import { EventsView } from './views/events.js';
import { PolicyView } from './views/policy.js';
import { PlanView } from './views/plan.js';
import { TestShutdownView } from './views/test-shutdown.js';
import { DevicesView } from './views/devices.js';
import { NutView } from './views/nut.js';
import { RestoreView } from './views/restore.js';
import { NotificationsView } from './views/notifications.js';
import { UsersView } from './views/admin-users.js';
import { SessionsView } from './views/admin-sessions.js';
import { TokensView } from './views/admin-tokens.js';
import { AuditView } from './views/admin-audit.js';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

interface NavItem {
  readonly path: string;
  readonly label: string;
  readonly role: Role;
  readonly view: (props: { me: Me }) => unknown;
}

const NAV: readonly NavItem[] = [
  { path: '/', label: 'Overview', role: 'viewer', view: () => html`<${OverviewView} />` },
  { path: '/history', label: 'History', role: 'viewer', view: () => html`<${HistoryView} />` },
  { path: '/events', label: 'Events', role: 'viewer', view: () => html`<${EventsView} />` },
  { path: '/policy', label: 'Policy', role: 'viewer', view: (p) => html`<${PolicyView} me=${p.me} />` },
  { path: '/plan', label: 'Plan', role: 'viewer', view: (p) => html`<${PlanView} me=${p.me} />` },
  { path: '/test', label: 'Test shutdown', role: 'operator', view: (p) => html`<${TestShutdownView} me=${p.me} />` },
  { path: '/devices', label: 'Devices', role: 'viewer', view: () => html`<${DevicesView} />` },
  { path: '/nut', label: 'NUT', role: 'viewer', view: (p) => html`<${NutView} me=${p.me} />` },
  { path: '/restore', label: 'Restore', role: 'viewer', view: () => html`<${RestoreView} />` },
  {
    path: '/notifications',
    label: 'Notifications',
    role: 'viewer',
    view: (p) => html`<${NotificationsView} me=${p.me} />`,
  },
  { path: '/admin/users', label: 'Users', role: 'admin', view: (p) => html`<${UsersView} me=${p.me} />` },
  { path: '/admin/sessions', label: 'Sessions', role: 'admin', view: (p) => html`<${SessionsView} me=${p.me} />` },
  { path: '/admin/tokens', label: 'Tokens', role: 'admin', view: (p) => html`<${TokensView} me=${p.me} />` },
  { path: '/admin/audit', label: 'Audit log', role: 'admin', view: (p) => html`<${AuditView} me=${p.me} />` },
];

function allowed(me: Me, item: NavItem): boolean {
  return RANK[me.role] >= RANK[item.role];
}

const LINK_WORDS: Record<LinkState, string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
};

function LiveBadge() {
  const [link, setLink] = useState<LinkState>('connecting');
  useEffect(() => onLinkState(setLink), []);
  return html`<span id="live" class=${`badge ${link === 'live' ? 'ok' : link === 'reconnecting' ? 'warn' : 'unknown'}`}
    >${LINK_WORDS[link]}</span
  >`;
}

/** The page banner and tab title when any UPS is on battery or not reached; the store banner when history is lost. */
function Banners() {
  const s = useLiveStatus();
  const onBatt = s.ups.filter(onBattery).map((u) => u.name);
  const lost = s.ups.filter(notReached).map((u) => u.name);
  const alarm = onBatt.length ? 'ON BATTERY' : lost.length ? 'UPS NOT REACHED' : null;
  useEffect(() => {
    document.title = alarm ? `⚠ ${alarm} · upsguard` : 'upsguard';
  }, [alarm]);
  const store = s.store;
  return html`${
    alarm
      ? html`<p class="banner bad" role="alert" data-testid="alarm-banner">
          ${onBatt.length ? `On battery: ${onBatt.join(', ')}.` : ''}
          ${lost.length ? ` Not reached: ${lost.join(', ')}.` : ''}
        </p>`
      : null
  }
  ${
    store && !store.historyKept
      ? html`<p id="store-banner" class="banner bad" role="alert">
          History is not being kept on disk${store.since ? ` since ${new Date(store.since).toLocaleTimeString()}` : ''}:
          ${store.reason ?? 'store failed'}. Protection goes on; the store is retried.
        </p>`
      : null
  }`;
}

function Header(props: { me: Me | null; onLogout: () => void; onLogin?: (() => void) | undefined }) {
  const me = props.me;
  return html`<header class="top">
    <a class="product" href="#/">upsguard</a>
    <${LiveBadge} />
    <span class="spacer"></span>
    ${
      me
        ? html`<span class="who" data-testid="who">${me.user} <span class="muted">(${me.role})</span></span>
            <button type="button" class="secondary" onClick=${props.onLogout}>Log out</button>`
        : props.onLogin
          ? html`<button type="button" class="secondary" onClick=${props.onLogin}>Log in</button>`
          : null
    }
  </header>`;
}

function Nav(props: { me: Me; route: string }) {
  return html`<nav class="nav" aria-label="Views">
    <ul>
      ${NAV.filter((n) => allowed(props.me, n)).map(
        (n) =>
          html`<li key=${n.path}>
            <a href=${`#${n.path}`} aria-current=${props.route === n.path ? 'page' : undefined}>${n.label}</a>
          </li>`,
      )}
    </ul>
  </nav>`;
}

type Boot = { phase: 'loading' } | { phase: 'in'; me: Me } | { phase: 'out'; info: LoginInfo | null };

export function App() {
  const [boot, setBoot] = useState<Boot>({ phase: 'loading' });
  const [wantLogin, setWantLogin] = useState(false);
  const route = useRoute();

  const loggedOut = async (): Promise<void> => {
    setMe(null);
    closeLive();
    resetStatus();
    const info = await getJson<LoginInfo>('/api/login/info').catch(() => null);
    setWantLogin(false);
    setBoot({ phase: 'out', info });
  };

  useEffect(() => {
    refreshMe().then(
      (found) => {
        if (!found) {
          void loggedOut();
          return;
        }
        if (found.overview) seedStatus(found.overview.status, found.overview.decision);
        setBoot({ phase: 'in', me: found.me });
      },
      () => void loggedOut(),
    );
    return onUnauthorized(() => {
      void loggedOut();
    });
  }, []);

  const loggedIn = (me: Me): void => {
    setMe(me);
    closeLive();
    resetStatus();
    setWantLogin(false);
    setBoot({ phase: 'in', me });
  };

  const logout = async (): Promise<void> => {
    try {
      await send('POST', '/api/logout');
    } catch {
      // Gone already: the session is over either way.
    }
    await loggedOut();
  };

  if (boot.phase === 'loading') return html`<main class="main"><p class="muted">Loading…</p></main>`;

  if (boot.phase === 'out') {
    const publicStatus = boot.info?.publicStatus === true && !wantLogin;
    return html`<${Header}
        me=${null}
        onLogout=${() => undefined}
        onLogin=${
          publicStatus
            ? () => {
                setWantLogin(true);
              }
            : undefined
        }
      />
      <main class="main" id="main">
        ${
          publicStatus
            ? html`<${Banners} /><${OverviewView} />`
            : html`<${LoginView}
                info=${boot.info}
                onLogin=${loggedIn}
                onCancel=${
                  boot.info?.publicStatus
                    ? () => {
                        setWantLogin(false);
                      }
                    : undefined
                }
              />`
        }
      </main>`;
  }

  const me = boot.me;
  const item = NAV.find((n) => n.path === route);
  const view = !item
    ? html`<section class="view">
        <h1>Not found</h1>
        <p>No view at <code>#${route}</code>. <a href="#/">Overview</a></p>
      </section>`
    : allowed(me, item)
      ? item.view({ me })
      : html`<section class="view">
          <h1>${item.label}</h1>
          <p>Your role (${me.role}) may not use this view; it needs ${item.role}.</p>
        </section>`;
  return html`<${Header} me=${me} onLogout=${() => void logout()} />
    <${Nav} me=${me} route=${route} />
    <main class="main" id="main"><${Banners} />${view}</main>`;
}
