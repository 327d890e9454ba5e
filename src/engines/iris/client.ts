/**
 * Runs the instance's terminal client: `iris terminal <INSTANCE> -U%SYS` (Caché: `csession <INSTANCE>
 * -U%SYS`) as [workload] linux_user, always with an argument array. Credentials answer the login
 * prompts on stdin and are never on the command line.
 */
import { execa } from 'execa';
import { SnaplogError } from '../../errors.js';
import { currentUserName } from '../../processes.js';
import type { IrisConfig } from './config.js';
import type { IrisCredentials } from './credentials.js';
import { parseAnswers } from './objectscript.js';

export interface IrisInvocation {
  file: string;
  args: string[];
  /** What the client reads on stdin: login answers first (when any), then ObjectScript lines. */
  input: string;
}

/** The published exit statuses of ExternalFreeze/ExternalThaw when called as the routine entry point. */
export const EXIT_SUCCESS = 5;
export const EXIT_FAILURE = 3;

/** Pure: the argv and stdin of one client call. `entry` = a routine/method run as the session's entry point. */
export function buildInvocation(
  config: Pick<IrisConfig, 'flavour' | 'instance' | 'clientPath' | 'linuxUser'>,
  request: { entry?: string; lines?: string[] },
  credentials: IrisCredentials | undefined,
  currentUser: string,
): IrisInvocation {
  const clientArgs = [...(config.flavour === 'iris' ? ['terminal'] : []), config.instance, '-U%SYS', ...(request.entry ? [request.entry] : [])];
  const login = credentials ? [credentials.username, credentials.password] : [];
  const script = request.lines ? [...request.lines, 'halt'] : [];
  const input = [...login, ...script].map((line) => `${line}\n`).join('');
  const asOther = config.linuxUser !== 'root' && config.linuxUser !== currentUser;
  return asOther
    ? { file: 'runuser', args: ['-u', config.linuxUser, '--', config.clientPath, ...clientArgs], input }
    : { file: config.clientPath, args: clientArgs, input };
}

export interface IrisCallResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export class IrisCallError extends SnaplogError {}

/** Removes the password from text that is about to be shown (a terminal might echo it back). */
export function redact(text: string, credentials: IrisCredentials | undefined): string {
  if (!credentials || credentials.password === '') return text;
  return text.split(credentials.password).join('********');
}

function transcript(result: IrisCallResult, credentials: IrisCredentials | undefined): string {
  const text = [result.stdout.trim() && `stdout: ${result.stdout.trim()}`, result.stderr.trim() && `stderr: ${result.stderr.trim()}`]
    .filter(Boolean)
    .join('; ');
  const clipped = text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
  return redact(clipped || 'no output', credentials);
}

export class IrisClient {
  private readonly currentUser: string;

  constructor(
    private readonly config: IrisConfig,
    private readonly credentials: () => Promise<IrisCredentials | undefined>,
  ) {
    this.currentUser = currentUserName();
  }

  private async call(
    request: { entry?: string; lines?: string[] },
    timeoutSeconds = this.config.callTimeoutSeconds,
  ): Promise<{ result: IrisCallResult; credentials: IrisCredentials | undefined; what: string }> {
    const credentials = await this.credentials();
    const invocation = buildInvocation(this.config, request, credentials, this.currentUser);
    const what = `${this.config.clientPath} ${this.config.flavour === 'iris' ? 'terminal ' : ''}${this.config.instance}${request.entry ? ` ${request.entry}` : ''}`;
    try {
      const child = await execa(invocation.file, invocation.args, {
        input: invocation.input,
        reject: false,
        timeout: timeoutSeconds * 1000,
        forceKillAfterDelay: 2000,
        stripFinalNewline: false,
      });
      return {
        result: { exitCode: child.exitCode, stdout: String(child.stdout ?? ''), stderr: String(child.stderr ?? ''), timedOut: Boolean(child.timedOut) },
        credentials,
        what,
      };
    } catch (error) {
      throw new IrisCallError(`could not run ${invocation.file}: ${(error as Error).message}`, {
        hint: 'check [workload] command_path (the folder of iris/csession) and linux_user',
      });
    }
  }

  /**
   * Runs ExternalFreeze/ExternalThaw as the session's entry point, as the published scripts do, and maps
   * the exit status: 5 = success, 3 = failure, anything else = failure with the transcript.
   */
  async runEntry(entry: string, label: string, timeoutSeconds = this.config.callTimeoutSeconds): Promise<IrisCallResult> {
    const { result, credentials, what } = await this.call({ entry }, timeoutSeconds);
    if (result.exitCode === EXIT_SUCCESS) return result;
    if (result.timedOut)
      throw new IrisCallError(`${label} did not finish within ${Math.round(timeoutSeconds)} s (${what})`, {
        hint: 'raise [iris] call_timeout or look at the instance (messages.log)',
      });
    if (result.exitCode === EXIT_FAILURE) {
      throw new IrisCallError(`${label} failed: the instance answered exit status 3 (${transcript(result, credentials)})`, {
        hint: 'see the instance messages.log; the user needs %Admin_Operate (set [iris] credentials_file if the terminal asks for a login)',
      });
    }
    throw new IrisCallError(`${label} failed: ${what} exited with ${result.exitCode ?? 'a signal'}, not 5 (${transcript(result, credentials)})`, {
      hint: 'is the instance running (iris list)? does the terminal ask for a login that [iris] credentials_file does not answer?',
    });
  }

  /** Feeds ObjectScript lines on stdin and returns the SNAPLOG:KEY=value answers. */
  async runScript(lines: string[], label: string, timeoutSeconds = this.config.callTimeoutSeconds): Promise<Map<string, string>> {
    const { result, credentials, what } = await this.call({ lines }, timeoutSeconds);
    if (result.timedOut)
      throw new IrisCallError(`${label} did not finish within ${Math.round(timeoutSeconds)} s (${what})`, {
        hint: 'raise [iris] call_timeout or look at the instance',
      });
    if (result.exitCode !== 0)
      throw new IrisCallError(`${label} failed: ${what} exited with ${result.exitCode ?? 'a signal'} (${transcript(result, credentials)})`, {
        hint: 'is the instance running (iris list)? is [iris] credentials_file right?',
      });
    const answers = parseAnswers(result.stdout);
    if (answers.size === 0)
      throw new IrisCallError(`${label}: the instance gave no answer (${transcript(result, credentials)})`, {
        hint: 'a login prompt not answered? set [iris] credentials_file',
      });
    return answers;
  }
}
