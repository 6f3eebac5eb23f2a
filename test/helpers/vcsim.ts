/**
 * vcsim, govmomi's vSphere simulator, built from Debian's golang-github-vmware-govmomi-dev with golang-go (no network,
 * GOPATH mode) and cached under node_modules/.cache/upsguard-vcsim keyed by the govmomi version and this main's
 * source, so only the first run pays the ~15 s build. Debian ships no vcsim main, so the small main below is ours.
 *
 * THE FRONT. The main wraps vcsim's HTTP handler in a middleware that adds, as the real vSphere API behaves, what vcsim
 * 0.24.2 lacks (every addition is marked FRONT in the Go source):
 *  - ShutdownGuest returns at once and the guest powers off `-guest-delay` later (vcsim: instant); a VM whose name
 *    matches `-hang` never goes off; a VM whose Tools are not running gets the ToolsUnavailable fault (vcsim ignores
 *    Tools). `-tools` names the VMs whose Tools run (vcsim: none).
 *  - ShutdownHost_Task (vcsim: MethodNotFound) returns a real simulator task that fails with InvalidState unless
 *    force=true or the host is in maintenance mode, and else sets the host's runtime.powerState to poweredOff.
 *  - POST /front/restricted?on=1 makes every write call fail with RestrictedVersion, as free-licence ESXi does.
 *  - POST /front/expire-sessions expires every session seen so far; vcsim then answers as for an unknown session
 *    (NotAuthenticated faults, missingSet for reads), as after a server-side idle timeout.
 * Everything else (login, inventory, property collector, tasks, PowerOffVM_Task, maintenance mode) is vcsim's own.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import tls from 'node:tls';
import type { VsphereDriverConfig } from '../../src/config/driver-schema.js';

const GOVMOMI = '/usr/share/gocode/src/github.com/vmware/govmomi/simulator';

function govmomiVersion(): string {
  return execFileSync('dpkg-query', ['-W', '-f=${Version}', 'golang-github-vmware-govmomi-dev'], {
    encoding: 'utf8',
    timeout: 10_000,
  }).trim();
}

/** Builds the main once per govmomi version and source; returns the binary's path. */
export function vcsimBinary(): string {
  if (!existsSync(GOVMOMI)) {
    throw new Error('govmomi sources missing: apt-get install golang-go golang-github-vmware-govmomi-dev');
  }
  const key = `${govmomiVersion()}-${createHash('sha256').update(VCSIM_MAIN_GO).digest('hex').slice(0, 12)}`;
  const dir = resolve('node_modules/.cache/upsguard-vcsim', key);
  const bin = join(dir, 'vcsimmin');
  if (existsSync(bin)) return bin;
  const src = join(dir, 'gopath/src/vcsimmin');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'main.go'), VCSIM_MAIN_GO);
  const tmp = `${bin}.${process.pid}.tmp`;
  execFileSync('go', ['build', '-o', tmp, 'vcsimmin'], {
    cwd: dir,
    timeout: 180_000,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      GOPATH: `${join(dir, 'gopath')}:/usr/share/gocode`,
      GO111MODULE: 'off',
      GOCACHE: join(dir, 'gocache'),
      GOFLAGS: '',
    },
  });
  renameSync(tmp, bin); // atomic, so parallel test files never run a half-written binary
  return bin;
}

export interface VcsimOptions {
  readonly esx?: boolean;
  /** VMs per resource pool (vcsim's -vm). */
  readonly vms?: number;
  readonly standaloneHosts?: number;
  readonly clusterHosts?: number;
  /** FRONT: regex of VM names whose Tools run. */
  readonly tools?: string;
  /** FRONT: regex of VM names whose guest never shuts down. */
  readonly hang?: string;
  readonly guestDelayMs?: number;
  readonly startTimeoutMs?: number;
}

export interface Vcsim {
  /** https://127.0.0.1:PORT/sdk */
  readonly url: string;
  readonly thumbprint: string;
  readonly pid: number;
  setRestricted(on: boolean): Promise<void>;
  expireSessions(): Promise<void>;
  stop(): Promise<void>;
}

function fingerprint(port: number, timeoutMs: number): Promise<string> {
  return new Promise((ok, fail) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      ok(s.getPeerCertificate().fingerprint256);
      s.destroy();
    });
    s.setTimeout(timeoutMs, () => s.destroy(new Error('TLS handshake with vcsim timed out')));
    s.once('error', fail);
  });
}

async function control(base: string, path: string): Promise<void> {
  // vcsim's certificate is self-signed and generated per run; this is the test's own control channel.
  const { request } = await import('node:https');
  await new Promise<void>((ok, fail) => {
    const req = request(`${base}${path}`, { method: 'POST', rejectUnauthorized: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', ok);
    });
    req.on('timeout', () => req.destroy(new Error(`vcsim control ${path} timed out`)));
    req.on('error', fail);
    req.end();
  });
}

export async function startVcsim(o: VcsimOptions = {}): Promise<Vcsim> {
  const args = ['-l', '127.0.0.1:0', `-vm=${o.vms ?? 2}`, `-guest-delay=${o.guestDelayMs ?? 1000}ms`];
  if (o.esx) args.push('-esx');
  else args.push(`-standalone-host=${o.standaloneHosts ?? 1}`, `-cluster-host=${o.clusterHosts ?? 3}`);
  if (o.tools !== undefined) args.push('-tools', o.tools);
  if (o.hang !== undefined) args.push('-hang', o.hang);
  const child: ChildProcess = spawn(vcsimBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const startTimeout = o.startTimeoutMs ?? 15_000;
  const base = await new Promise<string>((ok, fail) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill();
      fail(new Error(`vcsim did not start within ${startTimeout} ms: ${err}`));
    }, startTimeout);
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /GOVC_URL=https:\/\/[^@]*@([^/\s]+)\/sdk/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(`https://${m[1] ?? ''}`);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`vcsim exited (${code}) before it was ready: ${err}`));
    });
  });
  const port = Number(new URL(base).port);
  const thumbprint = await fingerprint(port, 5000);
  const pid = child.pid ?? 0;
  return {
    url: `${base}/sdk`,
    thumbprint,
    pid,
    setRestricted: (on) => control(base, `/front/restricted?on=${on ? 1 : 0}`),
    expireSessions: () => control(base, '/front/expire-sessions'),
    stop: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null) {
          ok();
          return;
        }
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          ok();
        });
        child.kill('SIGTERM'); // this child only, by its own handle
      }),
  };
}

/** A driver config for this simulator, TLS pinned to its generated certificate. */
export function vsphereConfig(sim: Vcsim, over: Partial<VsphereDriverConfig> = {}): VsphereDriverConfig {
  return {
    name: 'vc',
    kind: 'vsphere',
    enabled: true,
    url: sim.url,
    username: 'user',
    password: 'pass',
    thumbprint_sha256: sim.thumbprint,
    insecure: false,
    maintenance_mode: false,
    request_timeout_ms: 5000,
    task_timeout_ms: 5000,
    ...over,
  };
}

/** The main (Go, written for upsguard). `~` stands for Go's backquote, which a JS template cannot hold. */
const VCSIM_MAIN_GO =
  String.raw`// vcsimmin: govmomi's vSphere simulator with a small test front (upsguard's own main, built by test/helpers/vcsim.ts).
// The front adds what vcsim 0.24.2 lacks and the real API has; every addition is marked FRONT.
package main

import (
	"bytes"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"sync"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

var (
	thisRe  = regexp.MustCompile(~<_this[^>]*>([^<]+)</_this>~)
	forceRe = regexp.MustCompile(~<force>\s*true\s*</force>~)
	writeRe = regexp.MustCompile(~<(ShutdownGuest|PowerOffVM_Task|PowerOnVM_Task|ShutdownHost_Task|EnterMaintenanceMode_Task|RebootGuest)\b~)
)

type front struct {
	inner      http.Handler
	delay      time.Duration
	tools      *regexp.Regexp
	hang       *regexp.Regexp
	mu         sync.Mutex
	restricted bool
	seen       map[string]bool
	expired    map[string]bool
}

func envelope(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, ~<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>%s</soapenv:Body></soapenv:Envelope>~, body)
}

func fault(w http.ResponseWriter, kind, msg string) {
	envelope(w, 500, fmt.Sprintf(~<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>%s</faultstring><detail><%sFault xmlns="urn:vim25" xsi:type="%s"></%sFault></detail></soapenv:Fault>~, msg, kind, kind, kind))
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/front/restricted": // FRONT: free-licence ESXi refuses every write call
		f.mu.Lock()
		f.restricted = r.URL.Query().Get("on") == "1"
		f.mu.Unlock()
		return
	case "/front/expire-sessions": // FRONT: every session seen so far expires (as after an idle timeout or a restart)
		f.mu.Lock()
		for k := range f.seen {
			f.expired[k] = true
		}
		f.mu.Unlock()
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/sdk" {
		f.inner.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	f.mu.Lock()
	restricted := f.restricted
	if c, err := r.Cookie("vmware_soap_session"); err == nil {
		if f.expired[c.Value] {
			r.Header.Del("Cookie") // vcsim then answers as for an unknown session
		} else {
			f.seen[c.Value] = true
		}
	}
	f.mu.Unlock()
	if restricted && writeRe.Match(body) {
		fault(w, "RestrictedVersion", "Current license or ESXi version prohibits execution of the requested operation.")
		return
	}
	m := thisRe.FindSubmatch(body)
	if m == nil {
		f.inner.ServeHTTP(w, r)
		return
	}
	id := string(m[1])
	switch {
	case bytes.Contains(body, []byte("<ShutdownGuest")):
		vm, ok := simulator.Map.Get(types.ManagedObjectReference{Type: "VirtualMachine", Value: id}).(*simulator.VirtualMachine)
		if !ok || vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
			f.inner.ServeHTTP(w, r) // vcsim's own faults: ManagedObjectNotFound, InvalidPowerState
			return
		}
		if !f.tools.MatchString(vm.Name) { // FRONT: real ESXi needs running Tools for a guest shutdown
			fault(w, "ToolsUnavailable", "Cannot complete operation because VMware Tools is not running in this virtual machine.")
			return
		}
		envelope(w, 200, ~<ShutdownGuestResponse xmlns="urn:vim25"></ShutdownGuestResponse>~)
		if f.hang.MatchString(vm.Name) { // FRONT: a guest that never shuts down
			return
		}
		replay := r.Clone(r.Context())
		go func() { // FRONT: real guests take time; replay the call into vcsim (instant off) after the delay
			time.Sleep(f.delay)
			replay.Body = io.NopCloser(bytes.NewReader(body))
			f.inner.ServeHTTP(httptest.NewRecorder(), replay)
		}()
	case bytes.Contains(body, []byte("<ShutdownHost_Task")): // FRONT: MethodNotFound in vcsim 0.24.2
		h, ok := simulator.Map.Get(types.ManagedObjectReference{Type: "HostSystem", Value: id}).(*simulator.HostSystem)
		if !ok {
			f.inner.ServeHTTP(w, r)
			return
		}
		force := forceRe.Match(body)
		task := simulator.CreateTask(h, "shutdownHost", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
			if !force && !h.Runtime.InMaintenanceMode {
				return nil, &types.InvalidState{}
			}
			h.Runtime.PowerState = types.HostSystemPowerStatePoweredOff
			h.Summary.Runtime.PowerState = types.HostSystemPowerStatePoweredOff
			return nil, nil
		})
		ref := task.Run()
		envelope(w, 200, fmt.Sprintf(~<ShutdownHost_TaskResponse xmlns="urn:vim25"><returnval type="Task">%s</returnval></ShutdownHost_TaskResponse>~, ref.Value))
	default:
		f.inner.ServeHTTP(w, r)
	}
}

func main() {
	listen := flag.String("l", "127.0.0.1:8989", "listen address")
	esx := flag.Bool("esx", false, "standalone ESXi model instead of vCenter")
	hosts := flag.Int("standalone-host", 1, "standalone hosts (vCenter model)")
	clusterHosts := flag.Int("cluster-host", 3, "hosts per cluster (vCenter model)")
	vms := flag.Int("vm", 2, "VMs per resource pool")
	tools := flag.String("tools", "^$", "FRONT: VM names whose Tools run")
	hang := flag.String("hang", "^$", "FRONT: VM names whose guest never shuts down")
	delay := flag.Duration("guest-delay", 2*time.Second, "FRONT: time a guest takes to shut down")
	flag.Parse()

	model := simulator.VPX()
	if *esx {
		model = simulator.ESX()
	} else {
		model.Host = *hosts
		model.ClusterHost = *clusterHosts
	}
	model.Machine = *vms
	if err := model.Create(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	toolsRe := regexp.MustCompile(*tools)
	for _, e := range simulator.Map.All("VirtualMachine") {
		if vm, ok := e.(*simulator.VirtualMachine); ok && toolsRe.MatchString(vm.Name) {
			vm.Guest.ToolsRunningStatus = string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
			vm.Guest.ToolsStatus = types.VirtualMachineToolsStatusToolsOk
		}
	}
	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword("user", "pass")}
	model.Service.RegisterEndpoints = true
	model.Service.TLS = new(tls.Config)
	s := model.Service.NewServer()
	s.Config.Handler = &front{inner: s.Config.Handler, delay: *delay, tools: toolsRe, hang: regexp.MustCompile(*hang),
		seen: map[string]bool{}, expired: map[string]bool{}}
	fmt.Printf("GOVC_URL=%s\nPID=%d\n", s.URL.String(), os.Getpid())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	s.Close()
	model.Remove()
}
`.replaceAll('~', '`');
