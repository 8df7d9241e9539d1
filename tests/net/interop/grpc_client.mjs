// An outside client of the live twin's gRPC TwinService, knowing nothing of twin's code:
// @grpc/proto-loader reads core/proto/twin/live.proto at run time and @grpc/grpc-js makes the
// calls. Calls GetSnapshot, then StreamState, with the same machine and tag filters, and prints
// what it decoded as JSON lines on stdout:
//
//   {"kind":"snapshot","message":{...}}   the GetSnapshot answer
//   {"kind":"change","message":{...}}     one per StateChange received, --count of them
//   {"kind":"end","received":N}
//
// Messages keep the .proto's field names; 64-bit integers are decimal strings, enums their
// names, absent message fields null (proto3 JSON that protobuf's JSON parsers read back).
// Used by GrpcInterop in tests/net/grpc_service_test.cc.
//
//   node tests/net/interop/grpc_client.mjs [--address HOST:PORT] [--token TOKEN]
//        [--machines A,B] [--tags X,Y] [--count N] [--with-snapshot] [--timeout-ms MS]
//
// Options fall back to TWIN_GRPC_ADDRESS, TWIN_GRPC_TOKEN, TWIN_GRPC_MACHINES, TWIN_GRPC_TAGS
// and TWIN_GRPC_COUNT; the address defaults to 127.0.0.1:50051, the count to 10 (0: until the
// server ends the stream). Exits 0 once done, 1 with a message on stderr on any error.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";

const protoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../core/proto");

function fail(message) {
  process.stderr.write(`grpc_client.mjs: ${message}\n`);
  process.exit(1);
}

function print(line) {
  process.stdout.write(`${JSON.stringify(line)}\n`);  // synchronous for pipes and files
}

function list(text) {
  return text ? text.split(",").filter((name) => name.length > 0) : [];
}

let args;
try {
  args = parseArgs({
    options: {
      address: { type: "string", default: process.env.TWIN_GRPC_ADDRESS ?? "127.0.0.1:50051" },
      token: { type: "string", default: process.env.TWIN_GRPC_TOKEN ?? "" },
      machines: { type: "string", default: process.env.TWIN_GRPC_MACHINES ?? "" },
      tags: { type: "string", default: process.env.TWIN_GRPC_TAGS ?? "" },
      count: { type: "string", default: process.env.TWIN_GRPC_COUNT ?? "10" },
      "with-snapshot": { type: "boolean", default: false },
      "timeout-ms": { type: "string", default: "10000" },
    },
  }).values;
} catch (error) {
  fail(error.message);
}
const count = Number(args.count);
const timeoutMs = Number(args["timeout-ms"]);
if (!Number.isInteger(count) || count < 0) fail(`bad --count '${args.count}'`);
if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) fail(`bad --timeout-ms '${args["timeout-ms"]}'`);

const definition = protoLoader.loadSync("twin/live.proto", {
  includeDirs: [protoDir],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const { TwinService } = grpc.loadPackageDefinition(definition).twin.live;
const client = new TwinService(args.address, grpc.credentials.createInsecure(), {
  "grpc.enable_http_proxy": 0,  // loopback tests must not go through a proxy from the environment
});

const metadata = new grpc.Metadata();
if (args.token) metadata.add("authorization", `Bearer ${args.token}`);
const deadline = () => new Date(Date.now() + timeoutMs);
const machines = list(args.machines);
const tags = list(args.tags);

function describe(error) {
  return `${grpc.status[error.code] ?? error.code}: ${error.details ?? error.message}`;
}

client.GetSnapshot({ machines, tags }, metadata, { deadline: deadline() }, (error, snapshot) => {
  if (error) fail(`GetSnapshot: ${describe(error)}`);
  print({ kind: "snapshot", message: snapshot });
  stream();
});

function stream() {
  const request = { machines, tags, with_snapshot: args["with-snapshot"] };
  const call = client.StreamState(request, metadata, { deadline: deadline() });
  let received = 0;
  let done = false;
  const finish = () => {
    done = true;
    print({ kind: "end", received });
    call.cancel();
    client.close();
    process.exit(0);
  };
  call.on("data", (change) => {
    if (done) return;
    print({ kind: "change", message: change });
    if (++received === count) finish();
  });
  call.on("error", (error) => {
    if (!done) fail(`StreamState after ${received} changes: ${describe(error)}`);
  });
  call.on("end", () => {
    if (done) return;
    if (count === 0) finish();
    else fail(`StreamState ended after ${received} of ${count} changes`);
  });
}
