'use strict';
// A real Bayeux server for the Go tests of the CometD client, driven through
// a small control endpoint.
//
//   node server.js --kind cometd-nodejs-server|faye [--timeout-ms 30000]
//                  [--interval-ms 0] [--max-interval-ms 10000]
//                  [--mount /api/v2/notifications]
//
// Two listeners on 127.0.0.1, both on ports the system picks:
//   - the Bayeux endpoint (mounted at --mount and any sub-path), and
//   - the control endpoint, which stays up while the Bayeux one restarts.
// Once both listen, one JSON line goes to stdout:
//   {"bayeux":<port>,"control":<port>}
// The process exits when its standard input closes, so it never outlives
// the test that started it.
//
// Control endpoint (POST, JSON body, JSON answer; GET for /stats):
//   /publish  {"channel","data":[...]}  publish each value in order, the way
//             an application on that server would (faye: its in-process
//             client, whose message ids collide with the clients' own ids)
//   /burst    {"channel","count"}       publish count generated
//             CallStateChangeMessages (~600 bytes each, data.seq = 0..count-1)
//             in one synchronous loop
//   /forget   drop every session without telling the client; a held connect
//             is answered at once, the next request finds the session unknown
//   /drop     wait (up to 5 s) until a request is held or a websocket open,
//             then cut every TCP connection (sessions survive)
//   /restart  {"downMs"}  close the Bayeux listener and every connection,
//             throw the server's state away, wait downMs, listen again on the
//             same port with a fresh server
//   /refuse   {"reconnect","error"} or {} to stop: from now on handshake and
//             connect replies fail with that error and advice
//   /deny     {"channel"} or {} to stop: from now on subscriptions to that
//             channel are refused with 403::subscription_denied
//   /advise   {"advice":{...}} or {} to stop: from now on these fields (any
//             JSON, of any type) overwrite the advice of every handshake
//             and connect reply, as a broken server's would
//   /stubborn {"on":true|false}  from now on the server ignores the timeout
//             a client asks for in its /meta/connect advice and holds every
//             connect for its own --timeout-ms
//   /stats    sessions, subscribers per channel, counted meta messages
//   /stop     exit

const http = require('http');

const KINDS = ['cometd-nodejs-server', 'faye'];

function parseArgs(argv) {
    const opts = {
        kind: '',
        timeoutMs: 30000,
        intervalMs: 0,
        maxIntervalMs: 10000,
        mount: '/api/v2/notifications',
    };
    for (let i = 0; i < argv.length; i++) {
        const name = argv[i];
        const value = argv[i + 1];
        if (value === undefined) {
            fail('missing value for ' + name);
        }
        i++;
        switch (name) {
            case '--kind': opts.kind = value; break;
            case '--timeout-ms': opts.timeoutMs = positiveInt(name, value); break;
            case '--interval-ms': opts.intervalMs = wholeNumber(name, value); break;
            case '--max-interval-ms': opts.maxIntervalMs = positiveInt(name, value); break;
            case '--mount': opts.mount = value; break;
            default: fail('unknown option ' + name);
        }
    }
    if (!KINDS.includes(opts.kind)) {
        fail('--kind must be one of ' + KINDS.join(', ') + ', not "' + opts.kind + '"');
    }
    if (!opts.mount.startsWith('/')) {
        fail('--mount must start with /');
    }
    opts.mount = opts.mount.replace(/\/+$/, '');
    return opts;
}

function positiveInt(name, value) {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) {
        fail(name + ' must be a positive whole number, not "' + value + '"');
    }
    return n;
}

function wholeNumber(name, value) {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) {
        fail(name + ' must be a whole number, not "' + value + '"');
    }
    return n;
}

function fail(why) {
    process.stderr.write('bayeux test server: ' + why + '\n');
    process.exit(2);
}

function log(...args) {
    process.stderr.write('bayeux test server: ' + args.join(' ') + '\n');
}

// callMessage is a CallStateChangeMessage shaped like the ones GWS sends on
// /v2/me/calls; with its envelope it weighs about 600 bytes.
function callMessage(seq) {
    const id = 'NR0O3ITJ5P0TP0HCUNKM9PPH4K' + String(seq).padStart(6, '0');
    return {
        messageType: 'CallStateChangeMessage',
        notificationType: 'StatusChange',
        phoneNumber: '7001',
        seq: seq,
        call: {
            id: id,
            connId: '007102719260b' + String(seq % 1000).padStart(3, '0'),
            state: 'Ringing',
            callType: 'Inbound',
            ani: '5125',
            dnis: '8012',
            participants: [{phoneNumber: '5125', digits: '5125', formattedPhoneNumber: '5125'}],
            userData: {acw_time: '40', queue: 'Support'},
            capabilities: ['Answer', 'Reject', 'AttachUserData', 'UpdateUserData'],
            duration: '0',
            mute: 'Off',
            uri: 'http://gws.example/api/v2/me/calls/' + id,
        },
    };
}

// Counters that survive restarts.
const counts = {handshakes: 0, connects: 0, subscribes: 0, unsubscribes: 0, disconnects: 0, publishes: 0, restarts: 0};

function countMessage(message) {
    switch (message && message.channel) {
        case '/meta/handshake': counts.handshakes++; break;
        case '/meta/connect': counts.connects++; break;
        case '/meta/subscribe': counts.subscribes++; break;
        case '/meta/unsubscribe': counts.unsubscribes++; break;
        case '/meta/disconnect': counts.disconnects++; break;
        default:
            if (message && typeof message.channel === 'string' && !message.channel.startsWith('/meta/')) {
                counts.publishes++;
            }
    }
}

// refusal, when set, turns every handshake and connect reply into a failure
// carrying this error and advice.
let refusal = null;

// denied, when set, is a channel whose subscriptions are refused.
let denied = null;

// advised, when set, overwrites fields of every handshake and connect
// reply's advice.
let advised = null;

// stubborn makes the server hold every connect for its own timeout,
// whatever the client asks.
let stubborn = false;

function advise(reply) {
    if (advised && (reply.channel === '/meta/handshake' || reply.channel === '/meta/connect')) {
        reply.advice = Object.assign(reply.advice || {}, advised);
    }
}

// ignoreAskedTimeout drops the timeout a connect asks for, while stubborn.
function ignoreAskedTimeout(message) {
    if (stubborn && message.channel === '/meta/connect' && message.advice) {
        delete message.advice.timeout;
    }
}

function refuse(reply) {
    if (refusal && (reply.channel === '/meta/handshake' || reply.channel === '/meta/connect')) {
        reply.successful = false;
        reply.error = refusal.error;
        reply.advice = {reconnect: refusal.reconnect, interval: 0};
        delete reply.clientId;
    }
}

// deny turns away a subscription before the server records it.
function deny(message) {
    return denied !== null && message.channel === '/meta/subscribe' &&
        [].concat(message.subscription).includes(denied);
}

// Subscriber bookkeeping shared by both kinds: channel -> Set(session id).
function subscriberBook() {
    const book = new Map();
    return {
        add(channel, id) {
            if (!book.has(channel)) book.set(channel, new Set());
            book.get(channel).add(id);
        },
        remove(channel, id) {
            const s = book.get(channel);
            if (s) {
                s.delete(id);
                if (s.size === 0) book.delete(channel);
            }
        },
        removeSession(id) {
            for (const [channel, s] of book) {
                s.delete(id);
                if (s.size === 0) book.delete(channel);
            }
        },
        snapshot() {
            const out = {};
            for (const [channel, s] of book) out[channel] = s.size;
            return out;
        },
    };
}

function matchesMount(url, mount) {
    const path = (url || '').split('?')[0];
    return path === mount || path.startsWith(mount + '/');
}

// --- cometd-nodejs-server -------------------------------------------------

function makeCometD(opts) {
    const cometd = require('cometd-nodejs-server');
    const server = cometd.createCometDServer({
        timeout: opts.timeoutMs,
        interval: opts.intervalMs,
        maxInterval: opts.maxIntervalMs,
        logLevel: 'info',
    });
    const sessions = new Map();
    const subscribers = subscriberBook();
    server.addListener('sessionAdded', session => sessions.set(session.id, session));
    server.addListener('sessionRemoved', session => {
        sessions.delete(session.id);
        subscribers.removeSession(session.id);
    });
    server.addListener('subscribed', (channel, session) => subscribers.add(channel.name, session.id));
    server.addListener('unsubscribed', (channel, session) => subscribers.remove(channel.name, session.id));
    server.addExtension({
        incoming(cometd, session, message, callback) {
            ignoreAskedTimeout(message);
            if (deny(message)) {
                // Answer for the server and stop the message here.
                message.reply.successful = false;
                message.reply.error = '403::subscription_denied';
                message.reply.subscription = message.subscription;
                message.reply._denied = true;
                callback(undefined, false);
                return;
            }
            callback(undefined, true);
        },
        outgoing(cometd, sender, session, message, callback) {
            refuse(message);
            advise(message);
            if (message._denied) {
                delete message._denied;
                message.error = '403::subscription_denied';
            }
            callback(undefined, message);
        },
    });

    return {
        handleRequest(req, res) {
            if (!matchesMount(req.url, opts.mount)) {
                res.statusCode = 404;
                res.end();
                return;
            }
            if (req.method !== 'POST') {
                server.handle(req, res);
                return;
            }
            // Parse here (the server accepts a parsed body) so that every
            // message is counted, even those of unknown sessions.
            const chunks = [];
            req.on('data', c => chunks.push(c));
            req.on('end', () => {
                let body;
                try {
                    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
                } catch (e) {
                    res.statusCode = 400;
                    res.end();
                    return;
                }
                if (Array.isArray(body)) body.forEach(countMessage);
                req.body = body;
                server.handle(req, res);
            });
        },
        handleUpgrade: null,
        publish(channel, data) {
            return new Promise((resolve, reject) => {
                server.createServerChannel(channel).publish(null, data, failure => {
                    if (failure) reject(failure); else resolve();
                });
            });
        },
        publishFast(channel, data) {
            server.createServerChannel(channel).publish(null, data);
        },
        forget() {
            const list = Array.from(sessions.values());
            for (const session of list) {
                server._removeServerSession(session, true);
                // Answer a held connect now rather than at the end of its
                // hold: the client learns on its next request.
                if (session._scheduler) session._scheduler.resume();
            }
            return list.length;
        },
        sessionCount: () => sessions.size,
        subscribers: () => subscribers.snapshot(),
        close() {
            server.close();
        },
    };
}

// --- faye -------------------------------------------------------------------

function makeFaye(opts) {
    const faye = require('faye');
    const bayeux = new faye.NodeAdapter({
        mount: opts.mount,
        timeout: opts.timeoutMs / 1000,
        engine: {interval: opts.intervalMs / 1000},
    });
    const sessions = new Set();
    const subscribers = subscriberBook();
    bayeux.on('handshake', id => sessions.add(id));
    bayeux.on('disconnect', id => {
        sessions.delete(id);
        subscribers.removeSession(id);
    });
    bayeux.on('subscribe', (id, channel) => subscribers.add(channel, id));
    bayeux.on('unsubscribe', (id, channel) => subscribers.remove(channel, id));
    bayeux.addExtension({
        incoming(message, request, callback) {
            // The in-process publisher has no request; count the network's.
            if (request) countMessage(message);
            if (request) ignoreAskedTimeout(message);
            if (request && deny(message)) message.error = '403::subscription_denied';
            callback(message);
        },
        outgoing(message, request, callback) {
            if (request) {
                refuse(message);
                advise(message);
            }
            callback(message);
        },
    });
    const engine = bayeux._server._engine;
    let publisher = null;

    return {
        handleRequest(req, res) {
            if (!bayeux.check(req)) {
                res.statusCode = 404;
                res.end();
                return;
            }
            bayeux.handle(req, res);
        },
        handleUpgrade(req, socket, head) {
            if (!bayeux.check(req)) {
                socket.destroy();
                return;
            }
            bayeux.handleUpgrade(req, socket, head);
        },
        publish(channel, data) {
            // The documented way: faye's own in-process client, whose
            // message ids ride along on the deliveries.
            publisher = publisher || bayeux.getClient();
            return publisher.publish(channel, data);
        },
        publishFast(channel, data) {
            engine.publish({channel: channel, data: data});
        },
        forget() {
            let n = 0;
            for (const id of Array.from(sessions)) {
                // A faye in-process publisher is a session too; keep it.
                if (publisher && publisher._dispatcher && publisher._dispatcher.clientId === id) continue;
                engine.destroyClient(id);
                n++;
            }
            return n;
        },
        sessionCount: () => sessions.size,
        subscribers: () => subscribers.snapshot(),
        close() {
            if (publisher) publisher.disconnect();
            bayeux.close();
        },
    };
}

// --- the Bayeux listener, restartable on its port ---------------------------

const opts = parseArgs(process.argv.slice(2));
let impl = null;
let bayeuxServer = null;
let bayeuxPort = 0;
const sockets = new Set();
const busy = new Map(); // socket -> requests in flight on it

function makeImpl() {
    return opts.kind === 'faye' ? makeFaye(opts) : makeCometD(opts);
}

function listenBayeux(port) {
    return new Promise((resolve, reject) => {
        impl = makeImpl();
        const server = http.createServer((req, res) => {
            // A socket is busy while a request on it is unanswered (a held
            // connect, say): cutting it is what a client must notice.
            busy.set(req.socket, (busy.get(req.socket) || 0) + 1);
            let done = false;
            const answered = () => {
                if (done) return;
                done = true;
                const n = (busy.get(req.socket) || 1) - 1;
                if (n > 0) busy.set(req.socket, n); else busy.delete(req.socket);
            };
            res.on('finish', answered);
            res.on('close', answered);
            impl.handleRequest(req, res);
        });
        if (impl.handleUpgrade) {
            server.on('upgrade', (req, socket, head) => {
                busy.set(socket, 1);
                impl.handleUpgrade(req, socket, head);
            });
        }
        server.on('connection', socket => {
            sockets.add(socket);
            socket.on('close', () => {
                sockets.delete(socket);
                busy.delete(socket);
            });
        });
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
            server.removeListener('error', reject);
            bayeuxServer = server;
            bayeuxPort = server.address().port;
            resolve();
        });
    });
}

function dropConnections() {
    const n = sockets.size;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    return n;
}

// dropBusyConnections waits (up to waitMs) until some connection is busy,
// then cuts every connection. A cut that finds only idle keep-alive
// connections goes unnoticed by a client (its next request simply opens a
// new one), which would make a test of the cut prove nothing.
async function dropBusyConnections(waitMs) {
    const until = Date.now() + waitMs;
    while (busy.size === 0 && Date.now() < until) {
        await new Promise(resolve => setTimeout(resolve, 10));
    }
    return dropConnections();
}

async function restart(downMs) {
    const old = bayeuxServer;
    const oldImpl = impl;
    bayeuxServer = null;
    await new Promise(resolve => {
        old.close(() => resolve());
        dropConnections();
    });
    oldImpl.close();
    if (downMs > 0) await new Promise(resolve => setTimeout(resolve, downMs));
    // The port was just released; retry briefly should the system still hold it.
    for (let attempt = 0; ; attempt++) {
        try {
            await listenBayeux(bayeuxPort);
            break;
        } catch (e) {
            if (attempt >= 50) throw e;
            await new Promise(resolve => setTimeout(resolve, 20));
        }
    }
    counts.restarts++;
}

// --- control endpoint ------------------------------------------------------

const MAX_CONTROL_BODY = 64 << 20;

function readJSON(req) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        let size = 0;
        req.on('data', c => {
            size += c.length;
            if (size > MAX_CONTROL_BODY) {
                reject(new Error('body larger than ' + MAX_CONTROL_BODY + ' bytes'));
                req.destroy();
                return;
            }
            chunks.push(c);
        });
        req.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (text.trim() === '') {
                resolve({});
                return;
            }
            try {
                resolve(JSON.parse(text));
            } catch (e) {
                reject(new Error('body is not JSON: ' + e.message));
            }
        });
        req.on('error', reject);
    });
}

function channelOf(body) {
    const channel = body.channel;
    if (typeof channel !== 'string' || !channel.startsWith('/') || channel.startsWith('/meta/')) {
        throw new Error('"channel" must be a channel name such as /v2/me/calls');
    }
    return channel;
}

const routes = {
    'POST /publish': async body => {
        const channel = channelOf(body);
        if (!Array.isArray(body.data)) throw new Error('"data" must be an array of message data');
        // In order: each publish is handed over before the next one starts.
        for (const data of body.data) await impl.publish(channel, data);
        return {published: body.data.length};
    },
    'POST /burst': async body => {
        const channel = channelOf(body);
        const count = body.count;
        if (!Number.isInteger(count) || count <= 0 || count > 1000000) {
            throw new Error('"count" must be a whole number between 1 and 1000000');
        }
        const start = process.hrtime.bigint();
        for (let i = 0; i < count; i++) impl.publishFast(channel, callMessage(i));
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        return {published: count, ms: ms};
    },
    'POST /forget': async () => ({forgotten: impl.forget()}),
    'POST /drop': async () => ({dropped: await dropBusyConnections(5000)}),
    'POST /restart': async body => {
        const downMs = body.downMs === undefined ? 0 : body.downMs;
        if (!Number.isInteger(downMs) || downMs < 0 || downMs > 60000) {
            throw new Error('"downMs" must be a whole number of milliseconds up to 60000');
        }
        await restart(downMs);
        return {port: bayeuxPort};
    },
    'POST /refuse': async body => {
        if (body.reconnect === undefined && body.error === undefined) {
            refusal = null;
            return {refusing: false};
        }
        if (!['none', 'handshake', 'retry'].includes(body.reconnect)) {
            throw new Error('"reconnect" must be none, handshake or retry');
        }
        if (typeof body.error !== 'string' || body.error === '') {
            throw new Error('"error" must be a Bayeux error string such as 403::go_away');
        }
        refusal = {reconnect: body.reconnect, error: body.error};
        return {refusing: true};
    },
    'POST /deny': async body => {
        if (body.channel === undefined) {
            denied = null;
            return {denying: false};
        }
        denied = channelOf(body);
        return {denying: true};
    },
    'POST /advise': async body => {
        if (body.advice === undefined) {
            advised = null;
            return {advising: false};
        }
        if (body.advice === null || typeof body.advice !== 'object' || Array.isArray(body.advice)) {
            throw new Error('"advice" must be an object of advice fields');
        }
        advised = body.advice;
        return {advising: true};
    },
    'POST /stubborn': async body => {
        if (typeof body.on !== 'boolean') throw new Error('"on" must be true or false');
        stubborn = body.on;
        return {stubborn: stubborn};
    },
    'GET /stats': async () => Object.assign({
        kind: opts.kind,
        sessions: impl.sessionCount(),
        subscribers: impl.subscribers(),
        connections: sockets.size,
    }, counts),
    'POST /stop': async () => {
        setImmediate(() => process.exit(0));
        return {stopping: true};
    },
};

function control(req, res) {
    const route = routes[req.method + ' ' + req.url.split('?')[0]];
    const answer = (status, obj) => {
        const text = JSON.stringify(obj);
        // One request per connection: a kept-alive socket the server closes
        // after its idle timeout can race with a client reusing it (Node's
        // fetch then fails with "fetch failed").
        res.writeHead(status, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Connection': 'close'});
        res.end(text);
    };
    if (!route) {
        answer(404, {error: 'no such control: ' + req.method + ' ' + req.url});
        return;
    }
    readJSON(req)
        .then(body => route(body))
        .then(result => answer(200, result))
        .catch(e => answer(400, {error: e && e.message ? e.message : String(e)}));
}

async function main() {
    await listenBayeux(0);
    const controlServer = http.createServer(control);
    await new Promise((resolve, reject) => {
        controlServer.once('error', reject);
        controlServer.listen(0, '127.0.0.1', resolve);
    });
    process.stdout.write(JSON.stringify({bayeux: bayeuxPort, control: controlServer.address().port}) + '\n');
    log(opts.kind, 'listening on 127.0.0.1:' + bayeuxPort + opts.mount, 'control on', controlServer.address().port);
}

// Never outlive the parent: it holds our stdin open and closes it on exit.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();

main().catch(e => fail(e && e.stack ? e.stack : String(e)));
