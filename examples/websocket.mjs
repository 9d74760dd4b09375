// Two Node processes keep one list of strings in sync over a WebSocket (the `ws` package).
//   node examples/websocket.mjs --member 0 --listen 9300 --words milk,eggs
//   node examples/websocket.mjs --member 1 --connect ws://127.0.0.1:9300 --words tea
// Each prints the list whenever it changes ("list: ..."). Type a line to add it at the end, or
// "-" to delete the first element. A closed connection is dialled again; nothing is lost.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { WebSocket, WebSocketServer } from 'ws';
import { nodeSession, pump, stringCodec } from 'crdt-genome';

const { values } = parseArgs({ options: { member: { type: 'string' }, listen: { type: 'string' }, connect: { type: 'string' }, words: { type: 'string', default: '' } } });
const member = Number(values.member);
if (!Number.isInteger(member) || member < 0 || member > 1) throw new RangeError(`--member must be 0 or 1, got ${values.member}`);
if ((values.listen === undefined) === (values.connect === undefined)) throw new Error('give one of --listen <port> and --connect <url>');

// The one peer is called "peer", whichever end dialled.
const session = nodeSession({ member, members: 2, codec: stringCodec, peers: ['peer'] });
session.list.onChange(() => console.log(`list: ${session.list.toArray().join(',')}`));
let socket = null;

// Send what the session has to send while connected (else it is tried again later), and come
// back when it next has something.
const pumping = pump(session, (m) => {
  if (socket?.readyState !== WebSocket.OPEN) return false;
  socket.send(m.bytes);
  return true;
});

function attach(ws) {
  socket = ws;
  ws.on('message', (data) => {
    const problem = session.receive('peer', new Uint8Array(data), Date.now());
    if (problem !== null) console.error(`from the peer: ${problem}`);
    pumping.wake();
  });
  ws.on('close', () => {
    if (socket === ws) socket = null;
    session.disconnected('peer', Date.now());
  });
  pumping.wake();
}

if (values.listen !== undefined) {
  const server = new WebSocketServer({ port: Number(values.listen), host: '127.0.0.1' });
  server.on('listening', () => console.log(`listening on ws://127.0.0.1:${server.address().port}`));
  server.on('connection', attach);
} else {
  const dial = () => {
    const ws = new WebSocket(values.connect);
    ws.on('open', () => attach(ws));
    ws.on('error', () => undefined); // 'close' follows
    ws.on('close', () => setTimeout(dial, 500));
  };
  dial();
}

const words = values.words.split(',').filter((w) => w !== '');
if (words.length > 0) session.insertMany(session.list.length, words);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === '-') session.list.length > 0 && session.deleteMany(0, 1);
  else session.insert(session.list.length, line);
  pumping.wake();
});
pumping.wake();
