import { describe, expect, it } from 'vitest';
import { COMMANDS, commandWord, loadCommands } from './index.ts';

describe('the command list', () => {
  it("gives the top-level help each module's own usage and summary", async () => {
    for (const entry of COMMANDS) {
      const module = await entry.load();
      expect({ name: entry.name, command: module.command, describe: module.describe }).toEqual({
        name: entry.name,
        command: entry.command,
        describe: entry.describe,
      });
    }
  });

  it('loads only the named command, or none for the top-level help', async () => {
    expect(await loadCommands(['info', 'x.wav'])).toHaveLength(1);
    const all = await loadCommands(['--help']);
    expect(all.map((c) => c.command)).toEqual(COMMANDS.map((c) => c.command));
    expect(all.every((c) => c.builder === undefined)).toBe(true);
  });

  it('finds the command word after a global option and its value', () => {
    expect(commandWord(['--backend', 'cpu', 'info', 'a.wav'])).toBe('info');
    expect(commandWord(['--backend=cpu', '--debug', 'train'])).toBe('train');
    expect(commandWord(['--help'])).toBeUndefined();
  });
});
