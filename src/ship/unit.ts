/** Pure: the systemd unit that runs `snaplog ship` as a service. */
export interface UnitOptions {
  snaplogCommand: readonly string[];
  configPath?: string;
  /** [workload] linux_user: the database's own tools (sqlplus, iris) run as this user; the service itself runs as root. */
  databaseUser: string;
  writablePaths: string[];
  /** Where the database's binlogs are (read-only to the service). */
  readablePaths?: string[];
  /**
   * The service starts the database's own client programs (IRIS/Caché `iris terminal`/`csession`, Oracle
   * `sqlplus` with OS authentication): they may be setuid, and the processes they start write the
   * database's own files, so the file-system sandbox and NoNewPrivileges would break them.
   */
  startsDatabaseTools?: boolean;
}

const quote = (value: string): string => (/^[A-Za-z0-9_./:@=-]+$/.test(value) ? value : `"${value.replace(/(["\\])/g, '\\$1')}"`);

export function shipServiceUnit(options: UnitOptions): string {
  const exec = [...options.snaplogCommand, ...(options.configPath ? ['--config', options.configPath] : []), 'ship'].map(quote).join(' ');
  return `# snaplog-managed unit: written by snaplog service install
[Unit]
Description=snaplog: ship database transaction logs to the archive as they close
Documentation=file://${options.snaplogCommand[options.snaplogCommand.length - 1]}
After=network-online.target remote-fs.target mariadb.service mysql.service
Wants=network-online.target

[Service]
Type=simple
# Runs as root, like the freeze hooks and thaw: it reads the 0600 credential files and owns the ipc folder
# (0700, root; snaplog refuses one another user owns). [workload] linux_user = ${options.databaseUser} is used
# only for the database's own tools (sqlplus, rman, iris), which snaplog starts through runuser.
User=root
ExecStart=${exec}
# SIGTERM: the file in flight is finished, then the service exits 0.
KillSignal=SIGTERM
TimeoutStopSec=120
Restart=on-failure
RestartSec=5
${options.startsDatabaseTools ? toolsSandbox() : strictSandbox(options)}ProtectKernelTunables=yes
ProtectControlGroups=yes
UMask=0027

[Install]
WantedBy=multi-user.target
`;
}

/** Nothing but the archive and the ipc folder is writable; no privilege can be gained. */
function strictSandbox(options: UnitOptions): string {
  return `NoNewPrivileges=yes
RestrictSUIDSGID=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths=${options.writablePaths.map(quote).join(' ')}
${options.readablePaths?.length ? `ReadOnlyPaths=${options.readablePaths.map(quote).join(' ')}\n` : ''}`;
}

function toolsSandbox(): string {
  return `# No file-system sandbox and no NoNewPrivileges: the database's own client programs run from here (sqlplus
# starts the Oracle server process for / as sysdba; iris/csession may be setuid) and must reach its files.
`;
}
