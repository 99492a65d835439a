// Reads a WARC file with warcio.js (an independent reader) and checks it
// against what the database says it holds.
//   node check.mjs FILE.warc.gz EXPECTED
// EXPECTED has one line per kept response: "URI<TAB>SHA256-HEX<TAB>STATUS".
// Prints "ok N responses" and exits 0, or prints every problem and exits 1.
import { WARCParser } from 'warcio';
import { createReadStream, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function base32(bytes) {
  let bits = 0, acc = 0, out = '';
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits) out += B32[(acc << (5 - bits)) & 31];
  while (out.length % 8) out += '=';
  return out;
}

const [file, expectedFile] = process.argv.slice(2);
const problems = [];
const want = new Map();
for (const line of readFileSync(expectedFile, 'utf8').split('\n')) {
  if (!line) continue;
  const [uri, sha, status] = line.split('\t');
  want.set(uri, { sha, status: Number(status), seen: 0 });
}
const counts = { warcinfo: 0, request: 0, response: 0 };
const requests = new Map(), responses = new Map();
let first = null;
for await (const rec of new WARCParser(createReadStream(file))) {
  const type = rec.warcType;
  if (first === null) first = type;
  counts[type] = (counts[type] || 0) + 1;
  if (rec.warcHeaders.protocol !== 'WARC/1.1') problems.push(`version ${rec.warcHeaders.protocol}`);
  const id = rec.warcHeader('WARC-Record-ID');
  if (!/^<urn:uuid:[0-9a-f-]{36}>$/.test(id || '')) problems.push(`record id ${id}`);
  if (!rec.warcDate || Number.isNaN(Date.parse(rec.warcDate))) problems.push(`date ${rec.warcDate}`);
  const payload = await rec.readFully(false);
  if (type === 'request') {
    requests.set(id, rec.warcHeader('WARC-Concurrent-To'));
    if (!rec.httpHeaders || rec.httpHeaders.method !== 'GET') problems.push(`request ${rec.warcTargetURI} not a GET`);
  }
  if (type !== 'response') continue;
  responses.set(id, rec.warcHeader('WARC-Concurrent-To'));
  const uri = rec.warcTargetURI;
  const digest = createHash('sha256').update(payload).digest();
  const label = 'sha256:' + base32(digest);
  if (rec.warcPayloadDigest !== label) problems.push(`${uri}: payload digest ${rec.warcPayloadDigest}, payload hashes to ${label}`);
  const w = want.get(uri);
  if (!w) { problems.push(`${uri}: not expected`); continue; }
  w.seen++;
  if (w.sha !== digest.toString('hex')) problems.push(`${uri}: payload differs from the stored body`);
  const status = Number(rec.httpHeaders && rec.httpHeaders.statusCode);
  if (status !== w.status) problems.push(`${uri}: status ${status}, expected ${w.status}`);
  const len = rec.httpHeaders && rec.httpHeaders.headers.get('content-length');
  if (Number(len) !== payload.length) problems.push(`${uri}: Content-Length ${len}, payload ${payload.length}`);
}
if (first !== 'warcinfo' || counts.warcinfo !== 1) problems.push(`warcinfo: first ${first}, ${counts.warcinfo} in all`);
for (const [uri, w] of want) if (w.seen !== 1) problems.push(`${uri}: ${w.seen} responses`);
if (counts.request !== counts.response) problems.push(`${counts.request} requests, ${counts.response} responses`);
for (const [req, resp] of requests) if (responses.get(resp) !== req) problems.push(`request ${req} and response ${resp} do not name each other`);
if (problems.length) {
  console.log(problems.join('\n'));
  process.exit(1);
}
console.log(`ok ${counts.response} responses`);
