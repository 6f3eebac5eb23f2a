import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Transporter } from 'nodemailer';
import type { ChannelConfig } from '../../config/notify-schema.js';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import { redactSecrets } from '../../util/redact.js';
import { renderTemplate } from '../template.js';
import { templateValues, type Channel, type OutgoingMessage } from './channel.js';

type EmailConfig = Extract<ChannelConfig, { kind: 'email' }>;

const DEFAULT_PORT: Readonly<Record<EmailConfig['security'], number>> = { tls: 465, starttls: 587, none: 25 };

/**
 * Email over SMTP, plain text. `starttls` requires the upgrade (a server that does not offer it fails the attempt,
 * the password is never sent in the clear); `tls` is implicit TLS from the first byte. The Message-ID is the message
 * id, so a resend after a crash is the same mail to a client that dedupes. No connection is kept between messages.
 */
export function emailChannel(c: EmailConfig): Channel {
  const ca = c.ca_file === undefined ? undefined : readFileSync(c.ca_file, 'utf8');
  const secrets = [c.password, c.username].filter((s): s is string => s !== undefined);
  // nodemailer is loaded with the first mail, not at start: most appliances never configure email (~1.5 MB).
  let made: Promise<Transporter> | null = null;
  const transport = (): Promise<Transporter> =>
    (made ??= import('nodemailer').then(({ createTransport }) =>
      createTransport({
        host: c.host,
        port: c.port ?? DEFAULT_PORT[c.security],
        secure: c.security === 'tls',
        requireTLS: c.security === 'starttls',
        ignoreTLS: c.security === 'none',
        ...(c.username !== undefined ? { auth: { user: c.username, pass: c.password ?? '' } } : {}),
        // SNI takes a name, never an address (RFC 6066).
        tls: { ...(ca === undefined ? {} : { ca }), ...(isIP(c.host) ? {} : { servername: c.host }) },
        connectionTimeout: c.timeout_ms,
        greetingTimeout: c.timeout_ms,
        socketTimeout: c.timeout_ms,
        disableFileAccess: true,
        disableUrlAccess: true,
      }),
    ));
  return {
    name: c.name,
    kind: c.kind,
    config: c,
    close: () => {
      void made?.then((t) => t.close());
    },
    send: async (m: OutgoingMessage) => {
      const values = templateValues(m);
      try {
        await (
          await transport()
        ).sendMail({
          from: c.from,
          to: c.to,
          subject: renderTemplate(c.subject, values).replace(/[\r\n]+/g, ' '),
          text: renderTemplate(c.text, values),
          messageId: `<${m.id}@upsguard>`,
          headers: { 'X-Upsguard-Message-Id': m.id },
        });
      } catch (err) {
        throw new UpsguardError(
          ErrorCode.NotifyFailed,
          `smtp ${c.host}: ${redactSecrets(errorMessage(err), secrets)}`,
          { host: c.host },
        );
      }
    },
  };
}
