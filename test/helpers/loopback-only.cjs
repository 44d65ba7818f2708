// Preloaded with `node --require` by the fresh-start test: any connection or DNS lookup that is not to
// loopback fails loudly and is recorded, proving `npm start` needs no network but 127.0.0.1.
const net = require('node:net');
const dns = require('node:dns');
const fs = require('node:fs');

const report = process.env.LOOPBACK_GUARD_REPORT;
const allowed = (host) =>
  host === undefined ||
  host === null ||
  host === '' ||
  host === 'localhost' ||
  host === '127.0.0.1' ||
  host === '::1' ||
  String(host).endsWith('.localhost');
const refuse = (what) => {
  if (report) fs.appendFileSync(report, `${what}\n`);
  throw new Error(`loopback-only guard: refused ${what}`);
};

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const options =
    typeof args[0] === 'object' && args[0] !== null ? args[0] : { port: args[0], host: args[1] };
  if (options.path === undefined && !allowed(options.host)) refuse(`connect ${options.host}:${options.port}`);
  return connect.apply(this, args);
};
const lookup = dns.lookup;
dns.lookup = function guardedLookup(host, ...rest) {
  if (!allowed(host)) refuse(`lookup ${host}`);
  return lookup.call(this, host, ...rest);
};
