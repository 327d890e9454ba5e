/**
 * The journal restore for a restored IRIS/Caché instance, as ObjectScript for `iris terminal <INST>
 * -U%SYS`. Pure.
 *
 * Journal.Restore has no stop time, so a point-in-time restore installs a `^ZJRNFILT` filter routine
 * that lets a record through only when its time stamp is at or before the target. The time stamp
 * ($HOROLOG, the instance's local time) is when the journal buffer was created: the earliest the
 * update could have happened. The target is handed over in UTC and turned into the instance's local
 * time by the instance itself ($ZDATETIMEH(…,-3)), so snaplog's own time zone does not matter.
 */
import { join } from 'node:path';
import { answer, osString } from '../objectscript.js';

/** Days from $HOROLOG day 0 (1840-12-31) to 1970-01-01. */
const HOROLOG_UNIX_EPOCH_DAY = 47117;

/** Pure: unix seconds → UTC `$HOROLOG` ("days,seconds"). */
export function utcHorolog(unixSeconds: number): string {
  const days = Math.floor(unixSeconds / 86400);
  return `${days + HOROLOG_UNIX_EPOCH_DAY},${unixSeconds - days * 86400}`;
}

export interface IrisRestoreInput {
  /** Journal files in replay order, full paths (the first = the file ExternalFreeze switched to). */
  files: string[];
  /** Folder holding the fetched files; a journal.log listing them is written there. */
  stagingDir: string;
  /** Apply records stamped at or before this (unix seconds); undefined = apply everything. */
  stopTime?: number;
}

export interface IrisRestoreScript {
  /** ObjectScript lines for the terminal, in order. */
  lines: string[];
  /** The content of <stagingDir>/journal.log: the fetched files in order. */
  journalLog: string;
  journalLogPath: string;
  /** The ^ZJRNFILT source as installed (the stop constant shown symbolically: it is computed on the instance). */
  filterSource?: string[];
}

const FILTER_MARK = 'snaplog point-in-time filter';

/** The ^ZJRNFILT routine's lines; `stopExpression` is the stop in local $H seconds (a literal once installed). */
export function zjrnfiltSource(stopIso: string, stopExpression: string): string[] {
  return [
    `ZJRNFILT(jidsys,dir,glo,type,restmode,addr,time) ; ${FILTER_MARK}: apply records stamped at or before ${stopIso}`,
    ' set restmode=1',
    ` if ($piece(time,",")*86400+$piece(time,",",2))>${stopExpression} set restmode=0`,
    ' quit',
  ];
}

function installFilterLines(stopTime: number): string[] {
  const stopIso = new Date(stopTime * 1000).toISOString();
  const source = zjrnfiltSource(stopIso, '@@STOP@@');
  const writeLine = (line: string): string => {
    const [before, after] = line.split('@@STOP@@');
    return after === undefined ? `do rtn.WriteLine(${osString(line)})` : `do rtn.WriteLine(${osString(before!)}_stopsecs_${osString(after)})`;
  };
  return [
    `set stoph=$zdatetimeh(${osString(utcHorolog(stopTime))},-3)`,
    'set stopsecs=($piece(stoph,",")*86400)+$piece(stoph,",",2)',
    answer('STOP_LOCAL', '$zdatetime(stoph,3)'),
    `set old="" if ##class(%Routine).Exists("ZJRNFILT.mac") { set old=##class(%Routine).%OpenId("ZJRNFILT.mac") }`,
    `if old'="",old.ReadLine()'[${osString(FILTER_MARK)} { ${answer('ERR', '"a ^ZJRNFILT that snaplog did not write exists in %SYS: rename it and run again"')} halt }`,
    `if old'="" { kill old do ##class(%Routine).Delete("ZJRNFILT.mac") }`,
    'set rtn=##class(%Routine).%New("ZJRNFILT.mac")',
    ...source.map(writeLine),
    'set sc=rtn.Save() if $system.Status.IsOK(sc) { set sc=rtn.Compile() }',
    `if '$system.Status.IsOK(sc) { ${answer('ERR', '"^ZJRNFILT: "_$system.Status.GetErrorText(sc)')} halt }`,
    answer('FILTER', '"installed"'),
  ];
}

export function irisRestoreScript(input: IrisRestoreInput): IrisRestoreScript {
  const first = input.files[0];
  const last = input.files[input.files.length - 1];
  if (!first || !last) throw new Error('a journal restore needs at least one journal file');
  const journalLogPath = join(input.stagingDir, 'journal.log');
  const lines = [
    ...(input.stopTime === undefined ? [] : installFilterLines(input.stopTime)),
    'set r=##class(Journal.Restore).%New()',
    `set r.FirstFile=${osString(first)}`,
    `set r.LastFile=${osString(last)}`,
    `set r.JournalLog=${osString(journalLogPath)}`,
    `do r.UseJournalLocation(${osString(input.stagingDir)})`,
    ...(input.stopTime === undefined ? [] : ['set r.Filter="^ZJRNFILT"']),
    'set r.RollBack=1',
    'set sc=r.Run()',
    answer('RESTORE', '$select($system.Status.IsOK(sc):"OK",1:$system.Status.GetErrorText(sc))'),
    // The filter is only for this restore: a later Journal.Restore must not inherit its stop.
    ...(input.stopTime === undefined ? [] : ['do ##class(%Routine).Delete("ZJRNFILT.mac")']),
  ];
  return {
    lines,
    journalLog: input.files.map((file) => `${file}\n`).join(''),
    journalLogPath,
    ...(input.stopTime === undefined ? {} : { filterSource: zjrnfiltSource(new Date(input.stopTime * 1000).toISOString(), '<stop in local $H seconds>') }),
  };
}
