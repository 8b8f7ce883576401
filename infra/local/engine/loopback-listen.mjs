// Preloaded into kinesis-mock (`node --import`): it binds 0.0.0.0 with no option to change that,
// and the local stack must listen on loopback only (docs/commands.md). Every server this process
// starts on the wildcard address (or without one) listens on 127.0.0.1 instead.
import net from 'node:net';

const WILDCARDS = new Set([undefined, null, '', '0.0.0.0', '::', '::0']);
const LOOPBACK = '127.0.0.1';
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function listenOnLoopback(...args) {
  const [first] = args;
  if (
    first !== null &&
    typeof first === 'object' &&
    !Array.isArray(first) &&
    first.path === undefined &&
    first.handle === undefined &&
    first.fd === undefined
  ) {
    if (WILDCARDS.has(first.host)) args[0] = { ...first, host: LOOPBACK };
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    // listen(port[, host][, backlog][, callback])
    if (typeof args[1] === 'string') {
      if (WILDCARDS.has(args[1])) args[1] = LOOPBACK;
    } else args.splice(1, 0, LOOPBACK);
  }
  return listen.apply(this, args);
};
