import { InvalidArgumentError, type Command } from 'commander';
import { resolve } from 'node:path';
import { stopOnSignals } from '../lifetime';
import { EFS_EMULATOR_DEFAULTS, buildSubnets, parseSubnets, startEfsEmulator, type EmulatorCredentials, type SubnetConfig } from '../../platform/efs-emulator';

/**
 * `osbkit efs-emulator`: the AWS EFS API emulator (platform/efs-emulator) as a process, for
 * developing and testing an EFS broker without AWS. Runs until SIGINT or SIGTERM.
 */

interface EfsEmulatorFlags {
  port: number;
  host: string;
  region: string;
  accountId: string;
  subnets?: SubnetConfig[];
  creationDelayMs: number;
  deletionDelayMs: number;
  throttleRate: number;
  errorRate: number;
  latencyMs: number;
  seed?: number;
  backingDir?: string;
  stateFile?: string;
  verifySignatures?: boolean;
  quiet?: boolean;
}

function wholeNumber(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) > max) throw new InvalidArgumentError(`${name} must be a whole number from 0 to ${max}.`);
    return Number(value);
  };
}

function fraction(name: string) {
  return (value: string): number => {
    const rate = Number(value);
    if (value.trim() === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) throw new InvalidArgumentError(`${name} must be a fraction from 0 to 1, e.g. 0.5.`);
    return rate;
  };
}

function subnetList(value: string): SubnetConfig[] {
  try {
    const subnets = parseSubnets(value);
    buildSubnets(subnets);
    return subnets;
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** With --verify-signatures, the one key pair requests must be signed with, from the environment (never from arguments, which `ps` shows). */
function credentialsFromEnv(): EmulatorCredentials[] {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new InvalidArgumentError('--verify-signatures needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment.');
  return [{ accessKeyId, secretAccessKey }];
}

export function registerEfsEmulatorCommands(program: Command): void {
  program
    .command('efs-emulator')
    .description('Run an AWS EFS API emulator (REST-JSON 2015-02-01) on HTTP, for developing and testing EFS brokers')
    .option('--port <n>', 'port to listen on (0 picks a free one)', wholeNumber('--port', 65535), 0)
    .option('--host <address>', 'address to bind', '127.0.0.1')
    .option('--region <region>', 'the region requests must be signed for', EFS_EMULATOR_DEFAULTS.region)
    .option('--account-id <id>', 'the 12-digit account that owns everything', EFS_EMULATOR_DEFAULTS.accountId)
    .option('--subnets <ID:AZ,...>', 'the subnets mount targets can be created in (default: subnet-00000001:us-east-1a,subnet-00000002:us-east-1b)', subnetList)
    .option('--creation-delay-ms <ms>', 'how long new resources stay "creating"', wholeNumber('--creation-delay-ms'), EFS_EMULATOR_DEFAULTS.creationDelayMs)
    .option('--deletion-delay-ms <ms>', 'how long deleted resources stay "deleting"', wholeNumber('--deletion-delay-ms'), EFS_EMULATOR_DEFAULTS.deletionDelayMs)
    .option('--throttle-rate <fraction>', 'fraction of requests answered with ThrottlingException', fraction('--throttle-rate'), 0)
    .option('--error-rate <fraction>', 'fraction of requests answered with 500 InternalServerError', fraction('--error-rate'), 0)
    .option('--latency-ms <ms>', 'delay added to every request', wholeNumber('--latency-ms'), 0)
    .option('--seed <n>', 'makes injected faults and resource ids repeatable', wholeNumber('--seed', 2 ** 32 - 1))
    .option('--backing-dir <dir>', 'make DIR/<fs-id>/ for each file system (for an NFS server to export); removed on delete')
    .option('--state-file <file>', 'keep the state in this JSON file across restarts (default: in memory only)')
    .option('--verify-signatures', 'verify SigV4 signatures against AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (default: any well-formed signature passes)')
    .option('--quiet', 'do not log each request')
    .addHelpText(
      'after',
      `
Example:
  osbkit efs-emulator --port 4566 --backing-dir /var/lib/osbkit-nfs/export/efs
  # then: new EFSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:4566',
  #         credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'dummy' } })
See platform/efs-emulator/README.md for what it emulates and what it does not.`,
    )
    .action(async (flags: EfsEmulatorFlags) => {
      const log = (line: string): void => void process.stdout.write(`${line}\n`);
      const running = await startEfsEmulator({
        port: flags.port,
        host: flags.host,
        region: flags.region,
        accountId: flags.accountId,
        ...(flags.subnets === undefined ? {} : { subnets: flags.subnets }),
        creationDelayMs: flags.creationDelayMs,
        deletionDelayMs: flags.deletionDelayMs,
        throttleRate: flags.throttleRate,
        errorRate: flags.errorRate,
        latencyMs: flags.latencyMs,
        ...(flags.seed === undefined ? {} : { seed: flags.seed }),
        ...(flags.backingDir === undefined ? {} : { backingDir: resolve(flags.backingDir) }),
        ...(flags.stateFile === undefined ? {} : { stateFile: resolve(flags.stateFile) }),
        ...(flags.verifySignatures ? { credentials: credentialsFromEnv() } : {}),
        logger: { info: flags.quiet ? () => undefined : log, warn: (line) => void process.stderr.write(`warning: ${line}\n`) },
      });
      log(`efs-emulator: listening on ${running.url}`);
      log(`  region ${running.region}; subnets ${running.subnets.map((subnet) => `${subnet.subnetId} (${subnet.availabilityZone}, ${subnet.cidr})`).join(', ')}`);
      if (flags.backingDir !== undefined) log(`  file system fs-… is the directory ${resolve(flags.backingDir)}/fs-…`);
      log(`  state ${flags.stateFile === undefined ? 'in memory only' : `in ${resolve(flags.stateFile)}`}`);
      // Ready for `osbkit up --with-efs`, which runs it as a part and stops it (or dies, closing the IPC channel).
      process.send?.({ ready: running.url });
      stopOnSignals(() => running.close());
    });
}
