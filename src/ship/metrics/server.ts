import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import { SnaplogError } from '../../errors.js';
import type { ConfigLocation } from '../../errors.js';
import { parseListen } from './listen.js';

/** Serves GET /metrics from `registry` on the `[metrics] listen` address; anything else is 404. */
export async function startMetricsServer(listen: string, registry: Registry, where: ConfigLocation): Promise<Server> {
  const { host, port } = parseListen(listen);
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(error as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const place = `${where.file}${where.line ? `, line ${where.line}` : ''}, key 'listen' in [metrics]`;
      reject(
        new SnaplogError(`cannot serve metrics on ${listen} (${place}): ${error.code ?? error.message}`, {
          exitCode: 2,
          hint: error.code === 'EADDRINUSE' ? 'another process uses this port: pick a free one' : 'use a loopback address of this machine, e.g. 127.0.0.1:9464',
        }),
      );
    });
    server.listen(port, host, () => resolve());
  });
  return server;
}
