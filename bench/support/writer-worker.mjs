// Worker thread of the freeze benchmark: one connection, autocommit INSERTs back to back, as fast as it
// can. Records every commit as (start, latency) on the shared clock performance.timeOrigin + now(), so
// the main thread can place them against its freeze windows. Stops on the message 'stop' and posts the
// samples back as Float64Arrays.
import { parentPort, workerData } from 'node:worker_threads';
import mysql from 'mysql2/promise';

const clock = () => performance.timeOrigin + performance.now();
const connection = await mysql.createConnection({ socketPath: workerData.socket, user: 'root' });
let stop = false;
parentPort.on('message', (message) => {
  if (message === 'stop') stop = true;
});

let capacity = 1 << 16;
let starts = new Float64Array(capacity);
let latencies = new Float64Array(capacity);
let count = 0;
let errors = 0;
let lastError;
const payload = 'x'.repeat(workerData.payloadBytes ?? 100);
parentPort.postMessage({ type: 'ready' });
while (!stop) {
  const started = clock();
  try {
    await connection.query('INSERT INTO app.t (v) VALUES (?)', [payload]);
  } catch (error) {
    errors++;
    lastError = String(error?.message ?? error);
    continue;
  }
  const latency = clock() - started;
  if (count === capacity) {
    capacity *= 2;
    const s = new Float64Array(capacity);
    s.set(starts);
    starts = s;
    const l = new Float64Array(capacity);
    l.set(latencies);
    latencies = l;
  }
  starts[count] = started;
  latencies[count] = latency;
  count++;
  // Yield now and then so that 'stop' is seen even when commits are instant.
  if ((count & 255) === 0) await new Promise((resolve) => setImmediate(resolve));
}
await connection.end().catch(() => undefined);
parentPort.postMessage({ type: 'samples', starts: starts.slice(0, count), latencies: latencies.slice(0, count), errors, lastError });
