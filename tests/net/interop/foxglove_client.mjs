// An outside client of twin's Foxglove WebSocket server: @foxglove/ws-protocol's FoxgloveClient
// over the `ws` package, decoding messages with protobufjs from the FileDescriptorSets the
// server advertises, knowing nothing of twin's code (as Foxglove does).
// Used by tests/net/foxglove_server_test.cc.
//
//   node tests/net/interop/foxglove_client.mjs URL TOPICS COUNT TIMEOUT_MS
//
// TOPICS is a comma-separated list; the client subscribes to each as soon as it is advertised
// and exits 0 once it has decoded COUNT messages in all. Prints one JSON object per line:
//   {"event":"open","protocol":...}                     the negotiated subprotocol
//   {"event":"serverInfo","name":...,"capabilities":[...]}
//   {"event":"subscribed","topic":...,"channelId":...,"schemaName":...}
//   {"event":"message","topic":...,"schemaName":...,"subscriptionId":...,"timestamp":"ns",
//    "message":{...}}                                   protobufjs toObject: every field
//                                                       (defaults too), field names as in the
//                                                       .proto, longs and enums as strings
// Exits 1 with a reason on stderr on a timeout, a wrong subprotocol, an advertised channel that
// is not protobuf, a schema that does not decode or a message that does not decode.
import wsProtocol from "@foxglove/ws-protocol";
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor/index.js";
import WebSocket from "ws";

const { FoxgloveClient } = wsProtocol;

function fail(message) {
  process.stderr.write(`foxglove_client.mjs: ${message}\n`);
  process.exit(1);
}

function print(object) {
  process.stdout.write(`${JSON.stringify(object)}\n`);
}

const [url, topicList, countText, timeoutText] = process.argv.slice(2);
if (!url || topicList === undefined || !countText || !timeoutText) {
  fail("usage: foxglove_client.mjs URL TOPICS COUNT TIMEOUT_MS");
}
const wanted = new Set(topicList.split(",").filter((t) => t.length > 0));
const expected = Number(countText);
setTimeout(() => fail(`timed out after ${timeoutText} ms, ${received} of ${expected} messages`),
  Number(timeoutText)).unref();

// The message type of an advertised channel, from its schema alone.
function typeOf(channel) {
  if (channel.encoding !== "protobuf") fail(`${channel.topic}: encoding ${channel.encoding}`);
  if (channel.schemaEncoding !== "protobuf") {
    fail(`${channel.topic}: schemaEncoding ${channel.schemaEncoding}`);
  }
  try {
    const set = descriptor.FileDescriptorSet.decode(Buffer.from(channel.schema, "base64"));
    const root = protobuf.Root.fromDescriptor(set);
    root.resolveAll();
    return root.lookupType(channel.schemaName);
  } catch (e) {
    fail(`${channel.topic}: schema ${channel.schemaName} does not decode: ${e.message}`);
  }
}

const toObjectOptions = { longs: String, enums: String, defaults: true, arrays: true };
const bySubscription = new Map();  // subscription id -> {topic, schemaName, type}
let received = 0;

const ws = new WebSocket(url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]);
const client = new FoxgloveClient({ ws });

client.on("open", () => {
  if (ws.protocol !== FoxgloveClient.SUPPORTED_SUBPROTOCOL) {
    fail(`server chose subprotocol "${ws.protocol}"`);
  }
  print({ event: "open", protocol: ws.protocol });
});
client.on("error", (error) => fail(`client error: ${error?.message ?? error}`));
client.on("close", () => {
  if (received < expected) fail(`connection closed after ${received} of ${expected} messages`);
});
client.on("serverInfo", (info) => {
  print({ event: "serverInfo", name: info.name, capabilities: info.capabilities });
});
client.on("status", (status) => {
  print({ event: "status", level: status.level, message: status.message });
});
client.on("advertise", (channels) => {
  for (const channel of channels) {
    if (!wanted.has(channel.topic)) continue;
    const type = typeOf(channel);
    const id = client.subscribe(channel.id);
    bySubscription.set(id, { topic: channel.topic, schemaName: channel.schemaName, type });
    print({ event: "subscribed", topic: channel.topic, channelId: channel.id,
            schemaName: channel.schemaName });
  }
});
client.on("message", (event) => {
  const subscription = bySubscription.get(event.subscriptionId);
  if (!subscription) fail(`message for unknown subscription ${event.subscriptionId}`);
  const bytes = new Uint8Array(event.data.buffer, event.data.byteOffset, event.data.byteLength);
  let message;
  try {
    message = subscription.type.toObject(subscription.type.decode(bytes), toObjectOptions);
  } catch (e) {
    fail(`${subscription.topic}: message does not decode: ${e.message}`);
  }
  print({ event: "message", topic: subscription.topic, schemaName: subscription.schemaName,
          subscriptionId: event.subscriptionId, timestamp: String(event.timestamp), message });
  if (++received === expected) {
    client.close();
    process.exit(0);
  }
});
