// Two replicas of a list of strings in one process, over an in-memory channel that loses 30% of
// messages, duplicates some and delivers the rest out of order, on a clock of its own. A request
// unanswered after a second is sent again.
// Run: npm run build && node examples/lossy-channel.mjs [--loss 0.3] [--seed 1]
import { parseArgs } from 'node:util';
import { nodeSession, stringCodec } from 'crdt-genome';

const { values } = parseArgs({ options: { loss: { type: 'string', default: '0.3' }, seed: { type: 'string', default: '1' } } });
const loss = Number(values.loss);
if (!(loss >= 0 && loss < 1)) throw new RangeError(`--loss must be in [0, 1), got ${values.loss}`);

// A small seeded generator, so a run can be replayed.
let seed = Number(values.seed) >>> 0 || 1;
const random = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);

const peers = { alice: 'bob', bob: 'alice' };
const replicas = {
  alice: nodeSession({ member: 0, members: 2, codec: stringCodec, peers: ['bob'], now: 0, timeoutMs: 1000 }),
  bob: nodeSession({ member: 1, members: 2, codec: stringCodec, peers: ['alice'], now: 0, timeoutMs: 1000 }),
};
const inFlight = []; // { at, to, from, bytes }
let sent = 0;
let lost = 0;

/** Hand what `name` has to send to the channel: some is lost, some twice, each after a random delay. */
function send(name, now, lossy) {
  for (const { peer, bytes } of replicas[name].poll(now)) {
    sent++;
    if (lossy && random() < loss) {
      lost++;
      continue;
    }
    const copies = lossy && random() < 0.1 ? 2 : 1;
    for (let i = 0; i < copies; i++) inFlight.push({ at: now + 1 + Math.floor(random() * 200), to: peer, from: name, bytes });
  }
}

const same = () => JSON.stringify(replicas.alice.list.toArray()) === JSON.stringify(replicas.bob.list.toArray());
let now = 0;
// Both edit for 5 s of the channel's time while it loses messages; then it stops losing them.
for (; now < 60_000; now += 10) {
  const lossy = now < 5_000;
  if (lossy && now % 500 === 0) {
    replicas.alice.insertMany(replicas.alice.list.length, [`a${now / 500}`]);
    replicas.bob.insertMany(0, [`b${now / 500}`]);
    if (now % 1500 === 0) replicas.bob.deleteMany(replicas.bob.list.length - 1, 1);
  }
  for (const name of Object.keys(replicas)) send(name, now, lossy);
  inFlight.sort((x, y) => x.at - y.at);
  while (inFlight.length > 0 && inFlight[0].at <= now) {
    const m = inFlight.shift();
    replicas[m.to].receive(peers[m.to], m.bytes, now);
  }
  if (!lossy && inFlight.length === 0 && same()) break;
}

const converged = same();
console.log(`${sent} messages sent, ${lost} lost; ${converged ? `converged ${now - 5_000} ms after the channel stopped losing` : 'not converged'}`);
console.log(`alice: ${replicas.alice.list.toArray().join(' ')}`);
console.log(`bob:   ${replicas.bob.list.toArray().join(' ')}`);
process.exitCode = converged ? 0 : 1;
