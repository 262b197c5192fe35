import { failureReason } from '../../../cli/supervisor';

describe('failureReason: the line osbkit up shows when a part fails to start', () => {
  it('takes the last error a logger wrote, with its cause', () => {
    const log = [
      '{"level":30,"msg":"starting"}',
      '{"level":50,"msg":"cannot start the cell","err":{"message":"isolation \\"namespaces\\" needs nft"}}',
      '{"level":30,"msg":"bye"}',
    ].join('\n');
    expect(failureReason(log)).toBe('cannot start the cell: isolation "namespaces" needs nft');
  });

  it('takes the message the CLI printed after FAILED when no error was logged', () => {
    expect(failureReason('{"level":30,"msg":"starting"}\n\nFAILED\nlisten EADDRINUSE: address already in use 127.0.0.1:9000\n')).toBe(
      'listen EADDRINUSE: address already in use 127.0.0.1:9000',
    );
  });

  it('says nothing for an empty log, and keeps a long line short', () => {
    expect(failureReason('')).toBeUndefined();
    expect(failureReason(`${'x'.repeat(2_000)}\n`)).toHaveLength(500);
  });
});
