import type { IncomingMessage } from 'node:http';

/*
 * Which requests may reach the server at all: DNS rebinding protection. A browser page on another
 * site must not reach a server on localhost by rebinding its own hostname to 127.0.0.1.
 */

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(host: string): boolean {
  // 127.0.0.0/8 as an address literal only: a DNS name such as 127.attacker.example can point anywhere.
  return LOOPBACK.has(host.replace(/^\[|\]$/g, '')) || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Why a request is refused before anything else is read, or undefined when it may go on. */
export function originRefusal(req: IncomingMessage, listenHost: string): string | undefined {
  // A browser page whose own hostname was rebound to 127.0.0.1 sends that name as Host and Origin
  // alike, so on loopback the Host itself must be a loopback name.
  if (isLoopback(listenHost) && !hostIsLoopback(req)) return 'Forbidden: the Host header is not a loopback name (DNS rebinding protection).';
  if (!originAllowed(req)) return 'Forbidden: the Origin header does not match this server (DNS rebinding protection).';
  return undefined;
}

/**
 * Browsers send Origin; a page on another site must not reach a server on localhost through DNS
 * rebinding. No Origin (a non-browser client) is fine; otherwise its host must be loopback or the
 * Host the request was sent to.
 */
function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  let originHost: string;
  try {
    originHost = new URL(origin).hostname;
  } catch {
    return false;
  }
  return isLoopback(originHost) || originHost === requestHostOf(req);
}

/** The Host header names a loopback address (or is absent, as only non-browser HTTP/1.0 clients leave it). */
function hostIsLoopback(req: IncomingMessage): boolean {
  const host = requestHostOf(req);
  return host === '' || isLoopback(host);
}

function requestHostOf(req: IncomingMessage): string {
  return (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
}
