// Burst throughput of the official CometD JavaScript client (cometd +
// cometd-nodejs-client) against a running test server, measured the same
// way the Go benchmark measures the Go client:
//
//   node bench.mjs --url http://127.0.0.1:P/api/v2/notifications \
//                  --control http://127.0.0.1:C [--count 20000] [--rounds 3]
//                  [--warmup 1] [--channel /v2/me/calls]
//
// It handshakes with long-polling (the one transport GWS and
// cometd-nodejs-server offer), subscribes to --channel, then per round
// asks the control endpoint for a burst of --count messages and times from
// that request until the last message arrived. The --warmup rounds come
// first and are not counted. Prints one JSON line:
//   {"client":"cometd-js","messages":N,"seconds":S,"rate":N/S,"rounds":[...]}
// Exits non-zero on any failure, and by itself after 120 s at most.

import {adapt} from 'cometd-nodejs-client';
import {CometD} from 'cometd';

function parseArgs(argv) {
    const opts = {url: '', control: '', count: 20000, rounds: 3, warmup: 1, channel: '/v2/me/calls'};
    for (let i = 0; i < argv.length; i += 2) {
        const name = argv[i];
        const value = argv[i + 1];
        if (value === undefined) fail('missing value for ' + name);
        switch (name) {
            case '--url': opts.url = value; break;
            case '--control': opts.control = value.replace(/\/+$/, ''); break;
            case '--count': opts.count = wholeNumber(name, value); break;
            case '--rounds': opts.rounds = wholeNumber(name, value); break;
            case '--channel': opts.channel = value; break;
            case '--warmup': opts.warmup = wholeNumber(name, value, true); break;
            default: fail('unknown option ' + name);
        }
    }
    if (!opts.url || !opts.control) fail('--url and --control are required');
    return opts;
}

function wholeNumber(name, value, zeroOK) {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || (n === 0 && !zeroOK)) fail(name + ' must be a positive whole number');
    return n;
}

function fail(why) {
    process.stderr.write('bench: ' + why + '\n');
    process.exit(1);
}

const opts = parseArgs(process.argv.slice(2));
setTimeout(() => fail('gave up after 120 s'), 120000).unref();

adapt();
const cometd = new CometD();
// Long-polling only, as a GWS client must; the comparison with the Go
// client is then transport for transport.
cometd.unregisterTransport('websocket');
cometd.unregisterTransport('callback-polling');
cometd.configure({url: opts.url, logLevel: 'warn'});

let received = 0;
let roundDone = null;

function onMessage(message) {
    const seq = message.data && message.data.seq;
    if (seq !== received) {
        fail('message out of order: got seq ' + seq + ', expected ' + received);
    }
    received++;
    if (received === opts.count && roundDone) roundDone();
}

async function round() {
    received = 0;
    const arrived = new Promise(resolve => { roundDone = resolve; });
    const start = process.hrtime.bigint();
    const res = await fetch(opts.control + '/burst', {
        method: 'POST',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({channel: opts.channel, count: opts.count}),
    });
    if (!res.ok) fail('burst request: HTTP ' + res.status + ' ' + await res.text());
    await arrived;
    return Number(process.hrtime.bigint() - start) / 1e9;
}

function subscribe() {
    return new Promise((resolve, reject) => {
        cometd.handshake(reply => {
            if (!reply.successful) {
                reject(new Error('handshake failed: ' + JSON.stringify(reply)));
                return;
            }
            cometd.subscribe(opts.channel, onMessage, sub => {
                if (sub.successful) resolve();
                else reject(new Error('subscribe failed: ' + JSON.stringify(sub)));
            });
        });
    });
}

try {
    await subscribe();
    for (let i = 0; i < opts.warmup; i++) await round();
    const rounds = [];
    for (let i = 0; i < opts.rounds; i++) rounds.push(await round());
    const seconds = rounds.reduce((a, b) => a + b, 0);
    const messages = opts.count * opts.rounds;
    process.stdout.write(JSON.stringify({client: 'cometd-js', messages, seconds, rate: messages / seconds, rounds}) + '\n');
    cometd.disconnect(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
} catch (e) {
    // Node's fetch says only "fetch failed"; the reason is its cause.
    const cause = e && e.cause ? ' (' + (e.cause.message || String(e.cause)) + ')' : '';
    fail((e && e.message ? e.message : String(e)) + cause);
}
