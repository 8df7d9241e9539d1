// Writes an MCAP file with the official TypeScript library (@mcap/core's McapWriter) and
// prints, as JSON on stdout, what it wrote (same shape as read_mcap.mjs prints). Used by
// tests/replay/mcap_interop_test.cc to check twin's reader.
//
//   node tests/replay/interop/write_mcap.mjs FILE
//
// 2 schemas, 3 channels, a few thousand messages with interleaved and partly out-of-order
// log times, chunked; chunks are zstd-compressed when @foxglove/wasm-zstd loads.
import { open } from "node:fs/promises";
import { McapWriter } from "@mcap/core";
import { FileHandleWritable } from "@mcap/nodejs";
import { loadZstdCompressor } from "./handlers.mjs";

function fail(message) {
  process.stderr.write(`write_mcap.mjs: ${message}\n`);
  process.exit(1);
}

async function main() {
  const path = process.argv[2];
  if (!path) fail("usage: write_mcap.mjs FILE");
  const compressChunk = await loadZstdCompressor();
  const handle = await open(path, "w");
  const writer = new McapWriter({
    writable: new FileHandleWritable(handle),
    chunkSize: 32 * 1024,
    compressChunk,
  });
  const profile = "interop";
  await writer.start({ profile, library: "@mcap/core write_mcap.mjs" });

  const enc = new TextEncoder();
  const schemas = [
    { name: "twin.Pose", encoding: "jsonschema", data: enc.encode('{"type":"object"}') },
    { name: "twin.Contact", encoding: "jsonschema", data: enc.encode('{"type":"array"}') },
  ];
  const schemaIds = [];
  for (const s of schemas) schemaIds.push(await writer.registerSchema(s));

  const channelDefs = [
    { schema: 0, topic: "/robot/pose", metadata: new Map([["frame", "world"]]) },
    { schema: 1, topic: "/robot/contacts", metadata: new Map() },
    { schema: 0, topic: "/target/pose", metadata: new Map([["rate", "50"]]) },
  ];
  const channels = [];
  for (const d of channelDefs) {
    const id = await writer.registerChannel({
      schemaId: schemaIds[d.schema],
      topic: d.topic,
      messageEncoding: "json",
      metadata: d.metadata,
    });
    channels.push({ ...d, id, count: 0, first: null, last: null, bytes: 0 });
  }

  // Channel k gets a message every (k+1) ms; a few messages are written late (their log time
  // is earlier than the previous message's), as a real recorder sometimes does.
  const base = 1_700_000_000_000_000_000n;
  let total = 0;
  const seq = channels.map(() => 0);
  for (let step = 0; step < 2000; ++step) {
    for (let k = 0; k < channels.length; ++k) {
      if (step % (k + 1) !== 0) continue;
      const ch = channels[k];
      let t = base + BigInt(step) * 1_000_000n + BigInt(k) * 1000n;
      if (step % 97 === 5) t -= 3_000_000n;  // late arrival
      const payload = enc.encode(JSON.stringify({ step, k, v: Math.sin(step * 0.01 + k) }));
      await writer.addMessage({
        channelId: ch.id,
        sequence: seq[k]++,
        logTime: t,
        publishTime: t + 10n,
        data: payload,
      });
      ch.count += 1;
      ch.bytes += payload.byteLength;
      if (ch.first === null || t < ch.first) ch.first = t;
      if (ch.last === null || t > ch.last) ch.last = t;
      total += 1;
    }
  }
  await writer.end();
  await handle.close();

  const out = {
    writer: "@mcap/core",
    profile,
    messageCount: total,
    compression: compressChunk ? "zstd" : "",
    channels: channels.map((ch) => ({
      id: ch.id,
      topic: ch.topic,
      messageEncoding: "json",
      schemaId: schemaIds[ch.schema],
      schemaName: schemas[ch.schema].name,
      schemaEncoding: schemas[ch.schema].encoding,
      schemaDataSize: schemas[ch.schema].data.byteLength,
      metadata: Object.fromEntries(ch.metadata),
      messageCount: ch.count,
      firstLogTime: ch.first.toString(),
      lastLogTime: ch.last.toString(),
      dataBytes: ch.bytes,
    })),
  };
  process.stdout.write(JSON.stringify(out, null, 1) + "\n");
}

main().catch((e) => fail(e.stack ?? String(e)));
