// bench/abuse.mjs: the abusive client of bench/abuse, from one address.
//   node bench/abuse.mjs URL FROM SLOW SILENT FLOOD SECONDS REOPEN_MS
// Keeps SLOW slowloris connections (a request's headers sent a byte every
// second, never finished), SILENT connections that send nothing, and FLOOD
// connections sending header lines as fast as the daemon reads them, all from
// address FROM, for SECONDS; each one the daemon closes is opened again
// after REOPEN_MS. Prints one JSON line: connections opened, closed by the
// daemon, and the most open at once.
import net from 'node:net';

const [url, from, slowN, silentN, floodN, secs, reopenMs = '1000'] = process.argv.slice(2);
const u = new URL(url);
const end = Date.now() + Number(secs) * 1000;
const stats = { opened: 0, closed_by_daemon: 0, open: 0, most_open: 0 };

function open(kind) {
  if (Date.now() >= end) return;
  const s = net.connect({ host: u.hostname, port: Number(u.port), localAddress: from });
  let timer = null;
  s.on('error', () => {});
  s.once('connect', () => {
    stats.opened++;
    stats.open++;
    stats.most_open = Math.max(stats.most_open, stats.open);
    if (kind === 'slow') {
      s.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: ');
      timer = setInterval(() => s.write('a'), 1000);
    } else if (kind === 'flood') {
      const line = `X-Flood: ${'f'.repeat(200)}\r\n`;
      s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      const pump = () => { while (!s.destroyed && s.write(line)); };
      s.on('drain', pump);
      pump();
    }
  });
  s.once('close', () => {
    if (timer) clearInterval(timer);
    if (stats.opened && s.bytesRead >= 0) stats.open = Math.max(0, stats.open - 1);
    if (Date.now() < end) {
      stats.closed_by_daemon++;
      setTimeout(() => open(kind), Number(reopenMs));
    }
  });
  setTimeout(() => s.destroy(), Math.max(0, end - Date.now()));
}

for (let i = 0; i < Number(slowN); i++) open('slow');
for (let i = 0; i < Number(silentN); i++) open('silent');
for (let i = 0; i < Number(floodN); i++) open('flood');
setTimeout(() => { console.log(JSON.stringify(stats)); process.exit(0); }, Number(secs) * 1000 + 500);
