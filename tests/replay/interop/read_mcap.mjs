// Reads an MCAP file with the official TypeScript library (@mcap/core) and prints what it
// found as JSON on stdout. Used by tests/replay/mcap_interop_test.cc to check twin's writer.
//
//   node tests/replay/interop/read_mcap.mjs FILE
//
// The file is read twice: with McapIndexedReader (summary, chunk indexes, message indexes;
// chunk and summary CRCs validated) and with McapStreamReader (every record in file order,
// validateCrcs: true). The two readings must agree. The data section CRC in DataEnd is
// checked here as well, since neither reader does. Any disagreement or library error exits
// with status 1 and a message on stderr.
import { open, readFile } from "node:fs/promises";
import { crc32 } from "@foxglove/crc";
import { McapIndexedReader, McapStreamReader } from "@mcap/core";
import { FileHandleReadable } from "@mcap/nodejs";
import { loadDecompressHandlers } from "./handlers.mjs";

function fail(message) {
  process.stderr.write(`read_mcap.mjs: ${message}\n`);
  process.exit(1);
}

// Per-channel tally of messages: count, first/last log time (file order is not assumed).
function tally(perChannel, msg) {
  let c = perChannel.get(msg.channelId);
  if (!c) {
    c = { count: 0, first: msg.logTime, last: msg.logTime, bytes: 0 };
    perChannel.set(msg.channelId, c);
  }
  c.count += 1;
  if (msg.logTime < c.first) c.first = msg.logTime;
  if (msg.logTime > c.last) c.last = msg.logTime;
  c.bytes += msg.data.byteLength;
}

async function main() {
  const path = process.argv[2];
  if (!path) fail("usage: read_mcap.mjs FILE");
  const decompressHandlers = await loadDecompressHandlers();

  // 1. Indexed read.
  const handle = await open(path, "r");
  let indexed;
  const indexedCounts = new Map();
  let indexedTotal = 0;
  let prevTime = -1n;
  try {
    indexed = await McapIndexedReader.Initialize({
      readable: new FileHandleReadable(handle),
      decompressHandlers,
    });
    for await (const msg of indexed.readMessages({ validateCrcs: true })) {
      if (msg.logTime < prevTime) fail("indexed reader returned messages out of log-time order");
      prevTime = msg.logTime;
      tally(indexedCounts, msg);
      indexedTotal += 1;
    }
  } catch (e) {
    fail(`McapIndexedReader: ${e.message}`);
  } finally {
    await handle.close();
  }

  // 2. Streaming read of the whole file, in pieces, with CRC validation.
  const bytes = await readFile(path);
  const stream = new McapStreamReader({ decompressHandlers, validateCrcs: true });
  const streamCounts = new Map();
  let streamTotal = 0;
  let streamHeader;
  let dataEnd;
  const recordCounts = {};
  try {
    // Feed in odd-sized pieces so record boundaries straddle appends.
    const piece = 65521;
    for (let at = 0; at < bytes.length; at += piece) {
      stream.append(bytes.subarray(at, Math.min(at + piece, bytes.length)));
      for (let rec; (rec = stream.nextRecord()); ) {
        recordCounts[rec.type] = (recordCounts[rec.type] ?? 0) + 1;
        if (rec.type === "Header") streamHeader = rec;
        else if (rec.type === "Message") {
          tally(streamCounts, rec);
          streamTotal += 1;
        } else if (rec.type === "DataEnd") {
          dataEnd = rec;
        }
      }
    }
    if (!stream.done()) fail("McapStreamReader: file ended before the closing magic");
  } catch (e) {
    fail(`McapStreamReader: ${e.message}`);
  }

  // 3. Data section CRC (covers everything from the leading magic up to DataEnd).
  let dataSectionCrcOk = null;
  if (dataEnd && dataEnd.dataSectionCrc !== 0) {
    const end = Number(indexed.dataEndOffset);
    dataSectionCrcOk = crc32(bytes.subarray(0, end)) === dataEnd.dataSectionCrc;
    if (!dataSectionCrcOk) fail("data section CRC in DataEnd does not match the data section");
  }

  // The two readings must agree.
  if (indexedTotal !== streamTotal) {
    fail(`indexed reader saw ${indexedTotal} messages, stream reader ${streamTotal}`);
  }
  for (const [id, c] of indexedCounts) {
    const s = streamCounts.get(id);
    if (!s || s.count !== c.count || s.first !== c.first || s.last !== c.last || s.bytes !== c.bytes) {
      fail(`channel ${id}: indexed and stream readings differ`);
    }
  }
  if (streamHeader?.profile !== indexed.header.profile) fail("header differs between readers");

  const channels = [...indexed.channelsById.values()]
    .sort((a, b) => a.id - b.id)
    .map((ch) => {
      const schema = indexed.schemasById.get(ch.schemaId);
      const c = indexedCounts.get(ch.id);
      return {
        id: ch.id,
        topic: ch.topic,
        messageEncoding: ch.messageEncoding,
        schemaId: ch.schemaId,
        schemaName: schema?.name ?? "",
        schemaEncoding: schema?.encoding ?? "",
        schemaDataSize: schema?.data.byteLength ?? 0,
        metadata: Object.fromEntries(ch.metadata),
        messageCount: c?.count ?? 0,
        firstLogTime: c ? c.first.toString() : null,
        lastLogTime: c ? c.last.toString() : null,
        dataBytes: c?.bytes ?? 0,
      };
    });

  const st = indexed.statistics;
  const statistics = st
    ? {
        messageCount: st.messageCount.toString(),
        schemaCount: st.schemaCount,
        channelCount: st.channelCount,
        attachmentCount: st.attachmentCount,
        metadataCount: st.metadataCount,
        chunkCount: st.chunkCount,
        messageStartTime: st.messageStartTime.toString(),
        messageEndTime: st.messageEndTime.toString(),
        channelMessageCounts: Object.fromEntries(
          [...st.channelMessageCounts].map(([k, v]) => [String(k), v.toString()]),
        ),
      }
    : null;

  const out = {
    reader: "@mcap/core",
    profile: indexed.header.profile,
    library: indexed.header.library,
    messageCount: indexedTotal,
    channels,
    statistics,
    chunkCount: indexed.chunkIndexes.length,
    chunkCompressions: [...new Set(indexed.chunkIndexes.map((c) => c.compression))].sort(),
    summaryCrc: indexed.footer.summaryCrc,
    dataSectionCrc: dataEnd?.dataSectionCrc ?? null,
    dataSectionCrcOk,
    recordCounts,
  };
  process.stdout.write(JSON.stringify(out, null, 1) + "\n");
}

main().catch((e) => fail(e.stack ?? String(e)));
