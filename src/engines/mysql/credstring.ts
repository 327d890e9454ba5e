/**
 * Azure's credString. Azure's scripts paste it into a shell command line (`mysql --login-path=…`,
 * `--defaults-extra-file=…`, sometimes `-u… -p…`); snaplog never does that, it only takes the option
 * file named by --defaults-extra-file / --defaults-file as the MySQL defaults file. Pure. The value is
 * never repeated in a warning: it may contain a password.
 */
import { ConfigError, type ConfigLocation } from '../../errors.js';
import { locationOf, parseAbsolutePath, type IniEntry } from '../../config/index.js';

const DEFAULTS_FILE_OPTION = /(?:^|\s)--defaults(?:-extra)?-file=(?:"([^"]*)"|'([^']*)'|(\S+))/;
const PASSWORD_OPTION = /(?:^|\s)(?:-p\S|--password(?:=|\s+\S))/;

export interface CredString {
  readonly defaultsFile?: { path: string; location: ConfigLocation };
  readonly warnings: Array<{ location: ConfigLocation; message: string }>;
}

export function interpretCredString(entry: IniEntry | undefined, mysqlDefaultsFileSet: boolean): CredString {
  if (entry === undefined) return { warnings: [] };
  const location = locationOf(entry);
  const warnings: CredString['warnings'] = [];
  const warning = (at: ConfigLocation, message: string) => ({ location: at, message });
  const match = DEFAULTS_FILE_OPTION.exec(entry.value);
  const raw = match === null ? undefined : (match[1] ?? match[2] ?? match[3]);
  let defaultsFile: CredString['defaultsFile'];
  const preface = 'credString is accepted for compatibility with Azure Backup, but snaplog never puts it on a command line (it would show in ps and in logs)';
  if (raw !== undefined) {
    const path = parseAbsolutePath(raw);
    if (path === undefined) {
      throw new ConfigError(
        location,
        'the option file named by --defaults-extra-file (or --defaults-file) must be an absolute path',
        'write the full path, e.g. credString = --defaults-extra-file=/etc/mysql/backup.cnf, or set [mysql] defaults_file',
      );
    }
    if (mysqlDefaultsFileSet) {
      warnings.push(warning(location, `${preface}; [mysql] defaults_file is set, so the option file named here is not used`));
    } else {
      defaultsFile = { path, location };
      warnings.push(warning(location, `${preface}; it reads the password from the option file named here (${path}) instead, as [mysql] defaults_file`));
    }
  } else {
    warnings.push(warning(location, `${preface}; it is ignored. Set [mysql] password_file or defaults_file instead`));
  }
  if (PASSWORD_OPTION.test(entry.value)) {
    warnings.push(
      warning(
        location,
        'credString appears to contain a password: remove it from this file, put it alone in a mode 0600 file and name that file in [mysql] password_file',
      ),
    );
  }
  return { warnings, ...(defaultsFile === undefined ? {} : { defaultsFile }) };
}
