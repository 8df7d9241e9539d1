// Decodes a twin telemetry MCAP file (`twin generate`, `twin record`) the way an outside tool
// does, knowing nothing of twin's code: the message types are built only from the
// FileDescriptorSet in each channel's Schema record, with protobufjs and its descriptor
// extension (as Foxglove Studio does), then every message is decoded. Used by
// tests/replay/telemetry_interop_test.cc, which compares the figures with twin's own decoding.
//
//   node tests/replay/interop/decode_telemetry.mjs FILE
//
// Prints JSON on stdout, per topic: message count, schema name and, by message type,
//   SampleBatch  samples, valueSum (float values summed as doubles in read order),
//                minTimeNs / maxTimeNs (base_time_ns + time_offset_ns, decimal strings),
//                tags (from the channel's "tags" metadata), samplesPerTag, qualities,
//                badBatches (array lengths disagree or a tag index outside the tags list)
//   ModeChange   modes: count per mode name
//   PartEvent    kinds: count per kind name
//   FaultTruth   faults: [{machine, kind, failureNs}] in read order
//   Alarm        codes: count per code
// and reencodeMismatches per topic: messages that protobufjs does not re-encode to the very
// same bytes (a field missing from the embedded schema would show up here, as protobufjs
// drops unknown fields). Any read or decode error exits with status 1 and a message on stderr.
import { open } from "node:fs/promises";
import { McapIndexedReader } from "@mcap/core";
import { FileHandleReadable } from "@mcap/nodejs";
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor/index.js";
import { loadDecompressHandlers } from "./handlers.mjs";

function fail(message) {
  process.stderr.write(`decode_telemetry.mjs: ${message}\n`);
  process.exit(1);
}

// Builds the message type of a schema from its data alone.
function typeFromSchema(schema) {
  if (schema.encoding !== "protobuf") {
    fail(`schema ${schema.id} (${schema.name}) has encoding "${schema.encoding}", not "protobuf"`);
  }
  let root;
  try {
    const set = descriptor.FileDescriptorSet.decode(schema.data);
    root = protobuf.Root.fromDescriptor(set);
    root.resolveAll();
  } catch (e) {
    fail(`schema ${schema.id} (${schema.name}): not a usable FileDescriptorSet: ${e.message}`);
  }
  try {
    return root.lookupType(schema.name);
  } catch (e) {
    fail(`schema ${schema.id}: type "${schema.name}" not in its FileDescriptorSet: ${e.message}`);
  }
}

// The name of an enum value as toObject({enums: String}) gives it; numbers mean a value the
// schema does not know.
function enumName(topic, field, value) {
  if (typeof value !== "string") fail(`${topic}: ${field} ${value} is not a value of its enum`);
  return value;
}

function bump(counts, key, by = 1) {
  counts[key] = (counts[key] ?? 0) + by;
}

function sameBytes(a, b) {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; ++i) if (a[i] !== b[i]) return false;
  return true;
}

const toObjectOptions = { longs: String, enums: String, defaults: true, arrays: true };

// Per-type accumulators: init(topic entry, channel), add(entry, decoded object).
const kinds = {
  "twin.telemetry.SampleBatch": {
    init(entry, channel) {
      const tags = channel.metadata.get("tags");
      entry.tags = tags ? tags.split(",") : [];
      entry.samples = 0;
      entry.valueSum = 0;
      entry.minTimeNs = null;
      entry.maxTimeNs = null;
      entry.samplesPerTag = entry.tags.map(() => 0);
      entry.qualities = {};
      entry.badBatches = 0;
    },
    add(entry, m, topic) {
      const n = m.value.length;
      if (m.tag.length !== n || m.time_offset_ns.length !== n ||
          (m.quality.length !== 0 && m.quality.length !== n)) {
        entry.badBatches += 1;
      }
      const base = BigInt(m.base_time_ns);
      for (let i = 0; i < n; ++i) {
        entry.valueSum += m.value[i];
        const tag = m.tag[i];
        if (tag >= entry.tags.length) entry.badBatches += 1;
        else entry.samplesPerTag[tag] += 1;
        if (i < m.time_offset_ns.length) {
          const t = base + BigInt(m.time_offset_ns[i]);
          if (entry.minTimeNs === null || t < entry.minTimeNs) entry.minTimeNs = t;
          if (entry.maxTimeNs === null || t > entry.maxTimeNs) entry.maxTimeNs = t;
        }
        bump(entry.qualities,
             m.quality.length ? enumName(topic, "quality", m.quality[i]) : "QUALITY_GOOD");
      }
      entry.samples += n;
    },
    finish(entry) {
      entry.minTimeNs = entry.minTimeNs?.toString() ?? null;
      entry.maxTimeNs = entry.maxTimeNs?.toString() ?? null;
    },
  },
  "twin.telemetry.ModeChange": {
    init(entry) {
      entry.modes = {};
    },
    add(entry, m, topic) {
      bump(entry.modes, enumName(topic, "mode", m.mode));
    },
  },
  "twin.telemetry.PartEvent": {
    init(entry) {
      entry.kinds = {};
    },
    add(entry, m, topic) {
      bump(entry.kinds, enumName(topic, "kind", m.kind));
    },
  },
  "twin.telemetry.FaultTruth": {
    init(entry) {
      entry.faults = [];
    },
    add(entry, m, topic) {
      entry.faults.push({
        machine: m.machine,
        kind: enumName(topic, "kind", m.kind),
        failureNs: m.failure_ns,
      });
    },
  },
  "twin.telemetry.Alarm": {
    init(entry) {
      entry.codes = {};
    },
    add(entry, m, topic) {
      enumName(topic, "severity", m.severity);
      bump(entry.codes, m.code);
    },
  },
};

async function main() {
  const path = process.argv[2];
  if (!path) fail("usage: decode_telemetry.mjs FILE");
  const decompressHandlers = await loadDecompressHandlers();
  const handle = await open(path, "r");
  const topics = {};
  const byChannel = new Map();  // channel id -> {entry, type, kind}
  let messageCount = 0;
  try {
    let reader;
    try {
      reader = await McapIndexedReader.Initialize({
        readable: new FileHandleReadable(handle),
        decompressHandlers,
      });
    } catch (e) {
      fail(`McapIndexedReader: ${e.message}`);
    }
    const types = new Map();  // schema id -> Type
    for (const channel of reader.channelsById.values()) {
      if (channel.messageEncoding !== "protobuf") continue;
      const schema = reader.schemasById.get(channel.schemaId);
      if (!schema) fail(`channel ${channel.topic} has no schema (id ${channel.schemaId})`);
      if (!types.has(schema.id)) types.set(schema.id, typeFromSchema(schema));
      if (topics[channel.topic]) fail(`two channels on topic ${channel.topic}`);
      const entry = { schema: schema.name, count: 0, reencodeMismatches: 0 };
      const kind = kinds[schema.name];
      kind?.init(entry, channel);
      topics[channel.topic] = entry;
      byChannel.set(channel.id, { entry, type: types.get(schema.id), kind, topic: channel.topic });
    }

    for await (const msg of reader.readMessages({ validateCrcs: true })) {
      messageCount += 1;
      const c = byChannel.get(msg.channelId);
      if (!c) continue;
      let decoded, obj;
      try {
        decoded = c.type.decode(msg.data);
        const err = c.type.verify(decoded);
        if (err) throw new Error(err);
        obj = c.type.toObject(decoded, toObjectOptions);
      } catch (e) {
        fail(`${c.topic}: message ${msg.sequence} at ${msg.logTime}: ${e.message}`);
      }
      if (!sameBytes(c.type.encode(decoded).finish(), msg.data)) c.entry.reencodeMismatches += 1;
      c.entry.count += 1;
      c.kind?.add(c.entry, obj, c.topic);
    }
  } catch (e) {
    fail(`reading ${path}: ${e.message}`);
  } finally {
    await handle.close();
  }
  for (const c of byChannel.values()) c.kind?.finish?.(c.entry);
  process.stdout.write(JSON.stringify({ messageCount, topics }) + "\n");
}

await main();
