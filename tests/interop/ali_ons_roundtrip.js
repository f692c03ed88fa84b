// Interop: the real ali-ons@3.12.0 client against rmq-namesrv + rmq-broker.
// A producer sends N messages with tags and keys; a push consumer (new group, from the first
// offset) must receive every one of them with the same msgId, tags, keys and body.
// Usage: NAMESRV_ADDR=127.0.0.1:9876 TOPIC=TopicTest COUNT=1000 node ali_ons_roundtrip.js
// NAMESRV_ADDR may be an rmq-proxy in develop mode: it answers route queries with its own
// addresses, so both the sends and the consumption go through it.
'use strict';
const { Producer, Consumer, Message } = require('ali-ons');

const nameSrv = (process.env.NAMESRV_ADDR || '127.0.0.1:9876').split(';');
const topic = process.env.TOPIC || 'TopicTest';
const count = Number(process.env.COUNT || 1000);
const deadlineMs = Number(process.env.DEADLINE_MS || 120000);
const common = { nameSrv, httpclient: { async request() { throw new Error('unused'); } } };
const tags = ['TagA', 'TagB', 'TagC'];

function fail(msg) {
  console.error('FAIL: ' + msg);
  process.exit(1);
}

async function main() {
  setTimeout(() => fail(`deadline of ${deadlineMs} ms passed`), deadlineMs).unref();
  const producer = new Producer({
    ...common,
    producerGroup: 'rmqsim_interop_pg',
  });
  producer.on('error', e => console.error('producer error:', e.message));
  await producer.ready();
  const sent = new Map();  // msgId -> {tag, key, body}
  for (let i = 0; i < count; i++) {
    const tag = tags[i % tags.length];
    const key = `KEY-${i}`;
    const body = `hello rmqsim #${i}`;
    const msg = new Message(topic, tag, body);
    msg.keys = [key];  // the setter joins an array with spaces; the getter returns the string
    const r = await producer.send(msg);
    if (r.sendStatus !== 'SEND_OK') fail(`send #${i}: status ${r.sendStatus}`);
    if (!r.msgId || sent.has(r.msgId)) fail(`send #${i}: bad or duplicate msgId ${r.msgId}`);
    sent.set(r.msgId, { tag, key, body });
  }
  console.log(`sent ${sent.size} messages`);

  const received = new Map();
  const consumer = new Consumer({
    ...common,
    consumerGroup: 'rmqsim_interop_cg_' + process.pid,
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
  });
  consumer.on('error', e => {
    // ali-ons reports "no offset yet" for a new group as an error event; that is expected.
    if (!/offset/i.test(e.message)) console.error('consumer error:', e.message);
  });
  await new Promise((resolve) => {
    consumer.subscribe(topic, '*', async (msg) => {
      const want = sent.get(msg.msgId);
      if (!want) fail(`received unknown msgId ${msg.msgId}`);
      const body = msg.body.toString();
      if (msg.tags !== want.tag) fail(`${msg.msgId}: tag ${msg.tags} != ${want.tag}`);
      const keys = String(msg.keys || '').split(' ').filter(Boolean);
      if (keys.length !== 1 || keys[0] !== want.key) fail(`${msg.msgId}: keys '${msg.keys}' != ${want.key}`);
      if (body !== want.body) fail(`${msg.msgId}: body ${body} != ${want.body}`);
      received.set(msg.msgId, true);
      if (received.size === sent.size) resolve();
    });
  });
  console.log(`received ${received.size} of ${sent.size} messages with matching ids, tags, keys`);
  console.log('OK');
  process.exit(0);  // ali-ons' inner producer keeps timers alive
}

main().catch(e => fail(e.stack || String(e)));
