// Real Redis and ClickHouse servers for the scale-out tests: Debian's redis-server (AOF,
// fsync always) and clickhouse-server, each a child process on 127.0.0.1 on free ports with
// its data in a temporary folder, removed at exit. stop()/start() keep ports and data, so
// tests can restart them mid-run.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { freePort, makeTempDir } from './bklit.mjs';

const children = new Set();
process.on('exit', () => {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

class ServerProcess {
  constructor(name, binary) {
    this.name = name;
    this.binary = binary;
    this.child = null;
    this.exited = null;
    if (!fs.existsSync(binary)) {
      throw new Error(`${binary} is not installed (scripts/bootstrap.sh installs it)`);
    }
  }

  spawnWith(args, logFile) {
    const out = fs.openSync(logFile, 'a');
    const child = spawn(this.binary, args, { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    children.add(child);
    this.child = child;
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }));
  }

  get running() {
    return this.child !== null;
  }

  // SIGTERM (or SIGKILL when hard) and wait for the exit.
  async stop({ hard = false } = {}) {
    if (!this.child) return;
    this.child.kill(hard ? 'SIGKILL' : 'SIGTERM');
    const done = await Promise.race([this.exited, sleep(20000, null)]);
    if (done === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    this.child = null;
  }
}

async function waitFor(check, what, timeoutMs, logFile) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-3000) : '';
      throw new Error(`${what} did not start within ${timeoutMs} ms; log:\n${log}`);
    }
    await sleep(50);
  }
}

function tcpAccepts(port) {
  return new Promise((resolve) => {
    import('node:net').then(({ default: net }) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  });
}

export class RedisServer extends ServerProcess {
  constructor() {
    super('redis', '/usr/bin/redis-server');
    this.dir = makeTempDir('bklit-redis-');
    this.port = 0;
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start() {
    if (!this.port) this.port = await freePort();
    const log = path.join(this.dir, 'redis.log');
    this.spawnWith(['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir,
      '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no',
      '--logfile', log], path.join(this.dir, 'stdout.log'));
    await waitFor(() => tcpAccepts(this.port), 'redis-server', 20000, log);
    return this;
  }
}

export class ClickHouseServer extends ServerProcess {
  constructor() {
    super('clickhouse', '/usr/sbin/clickhouse-server');
    this.dir = makeTempDir('bklit-ch-');
    this.httpPort = 0;
  }

  get url() {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  async #writeConfig() {
    const ports = new Set();
    while (ports.size < 3) ports.add(await freePort());
    [this.httpPort, this.tcpPort, this.interserverPort] = [...ports];
    const root = this.dir;
    for (const sub of ['data', 'tmp', 'user_files', 'format_schemas']) {
      fs.mkdirSync(path.join(root, sub), { recursive: true });
    }
    // 18.16 (Debian 12) has no defaults for users_config and the cache sizes.
    fs.writeFileSync(path.join(root, 'config.xml'), `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${root}/server.log</log><errorlog>${root}/server.err.log</errorlog><size>10M</size><count>1</count></logger>
  <http_port>${this.httpPort}</http_port>
  <tcp_port>${this.tcpPort}</tcp_port>
  <interserver_http_port>${this.interserverPort}</interserver_http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${root}/data/</path>
  <tmp_path>${root}/tmp/</tmp_path>
  <user_files_path>${root}/user_files/</user_files_path>
  <format_schema_path>${root}/format_schemas/</format_schema_path>
  <users_config>${root}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <keep_alive_timeout>3</keep_alive_timeout>
  <timezone>UTC</timezone>
</yandex>
`);
    fs.writeFileSync(path.join(root, 'users.xml'), `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default>
  </users>
  <quotas><default></default></quotas>
</yandex>
`);
  }

  async start() {
    if (!this.httpPort) await this.#writeConfig();
    const log = path.join(this.dir, 'stdout.log');
    this.spawnWith([`--config-file=${path.join(this.dir, 'config.xml')}`], log);
    await waitFor(async () => {
      const res = await fetch(`${this.url}/ping`, { signal: AbortSignal.timeout(1000) });
      return (await res.text()).startsWith('Ok');
    }, 'clickhouse-server', 60000, path.join(this.dir, 'server.err.log'));
    return this;
  }

  // Runs one statement over HTTP and returns the response text (throws on an error status).
  async query(sql, { database } = {}) {
    const url = new URL(this.url);
    if (database) url.searchParams.set('database', database);
    const res = await fetch(url, { method: 'POST', body: sql, signal: AbortSignal.timeout(30000) });
    const text = await res.text();
    if (!res.ok) throw new Error(`ClickHouse ${res.status}: ${text.slice(0, 500)}`);
    return text;
  }
}
