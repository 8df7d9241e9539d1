// An independent Sparkplug B edge node: Eclipse Tahu's JavaScript client (npm sparkplug-client,
// with sparkplug-payload's encoder), publishing births and data the twin must mirror.
//
// node sparkplug_edge.mjs URL GROUP NODE COUNT [restart GO_FILE]
//   Births (NBIRTH, DBIRTH "Filler" and "Capper"), then COUNT data messages per device (values
//   by alias only, as Sparkplug intends), a mode change, DDEATH of Capper, NDEATH at the end.
//   With "restart": after the first COUNT messages it waits until GO_FILE exists (the test
//   creates it once the broker is back and both sides have reconnected), then sends COUNT more.
// Prints one JSON line per published value ({"device","metric","value","ts"}) and events
// ({"event":"rebirth"} for each rebirth request received, {"event":"done", ...} at the end).
import sparkplug from 'sparkplug-client';

import fs from 'node:fs';

const [url, group, node, countText, mode, goFile] = process.argv.slice(2);
const count = Number(countText);
const restart = mode === 'restart';
const t0 = Date.now();

const client = sparkplug.newClient({
  serverUrl: url, username: '', password: '', groupId: group, edgeNode: node,
  clientId: `tahu-${node}-${process.pid}`, publishDeath: true, version: 'spBv1.0',
  mqttOptions: { reconnectPeriod: 200 },
});

const print = (o) => process.stdout.write(JSON.stringify(o) + '\n');
let births = 0, rebirths = 0, sent = 0, phase = 0;
let secondPhaseScheduled = false;
let ts = t0;

function publishBirths() {
  births += 1;
  print({ event: 'birth', births });
  client.publishNodeBirth({
    timestamp: Date.now(),
    metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: false }],
  });
  client.publishDeviceBirth('Filler', {
    timestamp: Date.now(),
    metrics: [
      { name: 'product_temp', alias: 1, type: 'Float', value: null },
      { name: 'bowl_motor_current', alias: 2, type: 'Double', value: null },
      { name: 'bottles_filled', alias: 3, type: 'Int64', value: null },
      { name: 'power', alias: 4, type: 'Double', value: null },
      { name: 'mode', alias: 5, type: 'String', value: 'running' },
      { name: 'humidity', alias: 6, type: 'Float', value: null },  // not in the scene
    ],
  });
  client.publishDeviceBirth('Capper', {
    timestamp: Date.now(),
    metrics: [
      { name: 'head_motor_temp', alias: 11, type: 'Float', value: null },
      { name: 'mode', alias: 12, type: 'String', value: 'running' },
    ],
  });
}

function publishData(i) {
  ts = Math.max(Date.now(), ts + 1);
  const filler = [
    { alias: 1, type: 'Float', value: 20 + 0.5 * i, metric: 'product_temp' },
    { alias: 2, type: 'Double', value: 3.25 + i, metric: 'bowl_motor_current' },
    { alias: 3, type: 'Int64', value: i, metric: 'bottles_filled' },
    { alias: 4, type: 'Double', value: 1.5 * i, metric: 'power' },
    { alias: 6, type: 'Float', value: 45, metric: 'humidity' },
  ];
  client.publishDeviceData('Filler', {
    timestamp: ts,
    metrics: filler.map(({ alias, type, value }) => ({ alias, type, value, timestamp: ts })),
  });
  for (const m of filler) print({ device: 'Filler', metric: m.metric, value: m.value, ts });
  client.publishDeviceData('Capper', {
    timestamp: ts,
    metrics: [{ alias: 11, type: 'Float', value: 40 + i, timestamp: ts }],
  });
  print({ device: 'Capper', metric: 'head_motor_temp', value: 40 + i, ts });
  sent += 1;
}

function runPhase() {
  phase += 1;
  for (let i = 0; i < count; ++i) publishData(sent);
  if (restart && phase === 1) {
    print({ event: 'phase', phase });
    const poll = setInterval(() => {
      if (!secondPhaseScheduled && fs.existsSync(goFile)) {
        secondPhaseScheduled = true;
        clearInterval(poll);
        runPhase();
      }
    }, 20);
    return;
  }
  ts += 10;
  client.publishDeviceData('Filler', {
    timestamp: ts, metrics: [{ alias: 5, type: 'String', value: 'down', timestamp: ts }],
  });
  print({ device: 'Filler', metric: 'mode', value: 'down', ts });
  client.publishDeviceDeath('Capper', { timestamp: ts + 1 });
  setTimeout(() => {
    print({ event: 'done', births, rebirths, sent });
    client.stop();
    setTimeout(() => process.exit(0), 300);
  }, 500);
}

client.on('birth', () => {
  publishBirths();
  if (phase === 0 && births === 1) setTimeout(runPhase, 300);
});
client.on('ncmd', (payload) => {
  for (const m of payload.metrics ?? []) {
    if (m.name === 'Node Control/Rebirth' && m.value) {
      rebirths += 1;
      print({ event: 'rebirth' });
      publishBirths();
    }
  }
});
client.on('error', (e) => { process.stderr.write(`error: ${e}\n`); });
setTimeout(() => { process.stderr.write('timeout\n'); process.exit(3); }, 60000);
