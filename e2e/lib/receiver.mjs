// A webhook receiver on loopback, as a help desk or CRM would run one. It records
// every request (headers and raw body) and answers with the statuses it is given.
import http from 'node:http';
import { eventually } from './server.mjs';

/**
 * @param {object} options
 * @param {number[]} [options.statuses] statuses for the first requests, then 204.
 * @param {string[]} [options.bodies] response bodies for the first requests, then none.
 */
export async function startReceiver({ statuses = [], bodies = [] } = {}) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(statuses[requests.length - 1] ?? 204);
      res.end(bodies[requests.length - 1] ?? '');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/hooks/nps`,
    requests,
    /** Requests whose JSON body passes `match`, once there are at least `count`. */
    async waitFor(match, count = 1, timeoutMs = 45_000) {
      return eventually(() => {
        const hits = requests.filter((r) => match(JSON.parse(r.body)));
        return hits.length >= count ? hits : null;
      }, { timeoutMs, what: `${count} webhook request(s)` });
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
