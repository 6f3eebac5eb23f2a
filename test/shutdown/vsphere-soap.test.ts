import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCert } from '../helpers/self-signed.js';
import { describe, expect, it } from 'vitest';
import { vsphereDriverSchema } from '../../src/config/driver-schema.js';
import { ErrorCode } from '../../src/errors.js';
import { VsphereDriver, sdkUrl } from '../../src/shutdown/drivers/vsphere.js';
import { faultError } from '../../src/shutdown/drivers/vsphere/session.js';
import { SoapFault, normalizeThumbprint } from '../../src/shutdown/drivers/vsphere/soap.js';
import { child, descendant, escapeXml, parseXml, xsiType } from '../../src/shutdown/drivers/vsphere/xml.js';

// Captured from vcsim 0.24.2: a property read without a session, and a fault.
const MISSING_SET =
  '<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"' +
  ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><RetrievePropertiesExResponse xmlns="urn:vim25">' +
  '<returnval><objects><obj type="VirtualMachine">vm-57</obj><missingSet><path>name</path><fault><fault' +
  ' xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance" XMLSchema-instance:type="NotAuthenticated">' +
  '<object type="VirtualMachine">vm-57</object><privilegeId>System.Read</privilegeId></fault></fault></missingSet>' +
  '</objects></returnval></RetrievePropertiesExResponse></soapenv:Body></soapenv:Envelope>';

const FAULT =
  '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>' +
  '<faultcode>ServerFaultCode</faultcode><faultstring>Login failure &amp; more</faultstring><detail>' +
  '<InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin"></InvalidLoginFault></detail></soapenv:Fault>' +
  '</soapenv:Body></soapenv:Envelope>';

describe('vSphere SOAP pieces', () => {
  it('parses vim25 answers: prefixes dropped, moref types kept, xsi types under either prefix', () => {
    const doc = parseXml(MISSING_SET);
    expect(doc.name).toBe('Envelope');
    const obj = descendant(doc, 'obj');
    expect(obj?.attrs.type).toBe('VirtualMachine');
    expect(obj?.text).toBe('vm-57');
    const inner = child(descendant(doc, 'missingSet'), 'fault')?.children[0];
    expect(inner && xsiType(inner)).toBe('NotAuthenticated');
    const f = parseXml(FAULT);
    expect(descendant(f, 'faultstring')?.text).toBe('Login failure & more');
    const detail = descendant(f, 'detail')?.children[0];
    expect(detail && xsiType(detail)).toBe('InvalidLogin');
  });

  it('rejects malformed XML with the byte offset', () => {
    expect(() => parseXml('<a><b></a>')).toThrow(/offset 6/);
    expect(() => parseXml('<a>')).toThrow(/unclosed <a>/);
  });

  it('escapes values put into envelopes', () => {
    expect(escapeXml(`p<a>&"'`)).toBe('p&lt;a&gt;&amp;&quot;&apos;');
  });

  it('maps faults to typed errors, licence in plain words', () => {
    const map = (t: string): string => faultError(new SoapFault(t, ''), 'x').code;
    expect(map('InvalidLogin')).toBe(ErrorCode.DriverAuth);
    expect(map('NoPermission')).toBe(ErrorCode.DriverPermission);
    expect(map('ToolsUnavailable')).toBe(ErrorCode.DriverToolsMissing);
    expect(map('ManagedObjectNotFound')).toBe(ErrorCode.DriverNotFound);
    expect(map('InvalidState')).toBe(ErrorCode.DriverFailure);
    const lic = faultError(new SoapFault('RestrictedVersion', 'Current license …'), 'shutdown of host h1');
    expect(lic.code).toBe(ErrorCode.DriverLicence);
    expect(lic.message).toMatch(/free-licence ESXi.*refuses every API write/);
  });

  it('normalizes thumbprints and URLs', () => {
    expect(normalizeThumbprint('ab:cd:EF')).toBe('ABCDEF');
    expect(sdkUrl('https://vc.lan')).toBe('https://vc.lan/sdk');
    expect(sdkUrl('https://vc.lan:443/sdk/')).toBe('https://vc.lan:443/sdk');
  });

  it('config: exactly one way to trust the certificate', () => {
    const base = { name: 'vc', kind: 'vsphere', url: 'https://vc.lan', username: 'u', password: 'p' };
    expect(vsphereDriverSchema.safeParse(base).success).toBe(false);
    expect(vsphereDriverSchema.safeParse({ ...base, insecure: true, ca_file: 'ca.pem' }).success).toBe(false);
    const ok = vsphereDriverSchema.parse({ ...base, thumbprint_sha256: 'AB:'.repeat(31) + 'AB' });
    expect(ok).toMatchObject({ maintenance_mode: false, request_timeout_ms: 10_000, task_timeout_ms: 60_000 });
  });
});

describe('vSphere: the password never reaches an error', () => {
  const password = 'S3cr3t-vs<&>-7c1d';

  /** An endpoint whose Login fault echoes the request (password included), as a careless proxy or build might. */
  async function echoingEndpoint(): Promise<{ url: string; close: () => Promise<void> }> {
    const files = selfSignedCert(mkdtempSync(join(tmpdir(), 'vs-echo-')), 'vs-echo');
    const env = (inner: string): string =>
      '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"' +
      ` xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${inner}</soapenv:Body></soapenv:Envelope>`;
    const server = createHttpsServer({ cert: readFileSync(files.cert), key: readFileSync(files.key) }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.setHeader('content-type', 'text/xml');
        if (body.includes('<RetrieveServiceContent>')) {
          res.end(
            env(
              '<RetrieveServiceContentResponse xmlns="urn:vim25"><returnval>' +
                '<rootFolder type="Folder">group-d1</rootFolder><propertyCollector type="PropertyCollector">pc</propertyCollector>' +
                '<viewManager type="ViewManager">vm</viewManager><sessionManager type="SessionManager">sm</sessionManager>' +
                '<about><apiType>HostAgent</apiType><fullName>echo</fullName></about></returnval></RetrieveServiceContentResponse>',
            ),
          );
          return;
        }
        res.statusCode = 500;
        // The request's XML as the fault text (the password appears XML-escaped, as it was sent), and a long tail.
        res.end(
          env(
            `<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>${escapeXml(body)} ${'z'.repeat(3000)}` +
              '</faultstring><detail><InvalidRequestFault xmlns="urn:vim25" xsi:type="InvalidRequest"></InvalidRequestFault>' +
              '</detail></soapenv:Fault>',
          ),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      url: `https://127.0.0.1:${(server.address() as { port: number }).port}/sdk`,
      close: () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    };
  }

  it('a fault that echoes the Login request is redacted and cut short, in errors and in check()', async () => {
    const ep = await echoingEndpoint();
    try {
      const cfg = vsphereDriverSchema.parse({
        name: 'vc',
        kind: 'vsphere',
        url: ep.url,
        username: 'root',
        password,
        insecure: true,
      });
      const d = new VsphereDriver(cfg);
      const e = await d.discover().then(
        () => null,
        (x: unknown) => x as Error,
      );
      expect(e?.message).toMatch(/InvalidRequest/);
      expect(e?.message).toContain('[redacted]');
      const forms = [password, escapeXml(password), 'S3cr3t'];
      for (const f of forms) expect(`${e?.message} ${e?.stack}`).not.toContain(f);
      expect(e?.message.length).toBeLessThan(600);
      const checks = await d.check();
      for (const f of forms) expect(JSON.stringify(checks)).not.toContain(f);
      await d.close();
    } finally {
      await ep.close();
    }
  });

  it('a fault string is cut to a bounded length', () => {
    const e = faultError(new SoapFault('InvalidState', 'w'.repeat(5000)), 'x');
    expect(e.message.length).toBeLessThan(400);
  });
});
