import { Command } from 'commander';
import { followEvents, readEvents } from '../events/channel.js';
import { withConfigOption, withJsonOption } from './common.js';
import { loadContext } from './context.js';

export function eventsCommand(): Command {
  return withJsonOption(withConfigOption(new Command('events')))
    .description('read the messaging channel (<ipc_folder>/events.jsonl)')
    .option('--follow', 'keep printing new events until interrupted')
    .option('--type <type>', 'only events of this type')
    .action(async (options: { follow?: boolean; json?: boolean; type?: string }, command: Command) => {
      const { events } = await loadContext(command);
      const wanted = (line: string): boolean => !options.type || line.includes(`"type":"${options.type}"`);
      const show = (line: string): void => {
        if (!wanted(line)) return;
        if (options.json) return void process.stdout.write(`${line}\n`);
        const event = JSON.parse(line) as Record<string, unknown>;
        const { time, type, level, host: _host, pid: _pid, ...rest } = event;
        process.stdout.write(`${String(time)} ${String(level).padEnd(7)} ${String(type)} ${JSON.stringify(rest)}\n`);
      };
      for (const event of await readEvents(events.path)) show(JSON.stringify(event));
      if (!options.follow) return;
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      process.once('SIGTERM', () => controller.abort());
      await followEvents(events.path, show, controller.signal);
    });
}
