import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';

/**
 * The package's public surface, held fixed: every subpath `exports` names, and every name
 * (value or type) each one exports. A change here is a change to what users can import, so it
 * must be made on purpose, in this list, and in docs/sdk.md.
 */

const ROOT = resolve(__dirname, '..', '..', '..');

interface Manifest {
  main?: string;
  types?: string;
  private?: boolean;
  exports: Record<string, string | { types: string; default: string }>;
  files: string[];
  bin: Record<string, string>;
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;

const SURFACE: Record<string, string[]> = {
  '.': [
    'AsyncModeOptions', 'AuthHook', 'AuthOption', 'BasicCredentials', 'BindRequest', 'BindResult', 'BindingRecord', 'BindingResult', 'BindingState',
    'BindingView', 'BrokerApp', 'Caller', 'Catalog', 'CatalogError', 'CreateBrokerOptions', 'CreateLoggerOptions',
    'DeprovisionRequest', 'EngineOptions', 'FetchBindingResult', 'FetchInstanceResult', 'InProgress', 'InstanceMetadataRecord',
    'InstanceRecord', 'InstanceState', 'InstanceView', 'JsonObject', 'JsonValue', 'Logger', 'MemoryStore', 'OSB_API_VERSION',
    'OperationKind', 'OperationRecord', 'OperationState', 'OriginatingIdentity', 'OsbContext', 'OsbError', 'OsbErrorCode',
    'OsbErrorOptions', 'PendingTarget', 'PlanEntry', 'ProvisionRequest', 'ProvisionResult', 'ReadIntent', 'ServiceBroker',
    'ServiceOffering', 'ServicePlan', 'SqliteStore', 'SqliteStoreOptions', 'StateStore', 'StepContext', 'UnbindRequest',
    'UpdateRequest', 'UpdateResult', 'Versioned', 'answerFromStore', 'createBroker', 'createLogger', 'errors', 'inProgress',
    'isInProgress', 'isOsbError',
  ],
  './client': [
    'Answer', 'AsyncAnswer', 'BindRequest', 'BindResource', 'BindResponse', 'BindingEndpoint', 'BindingMetadata', 'CallOptions',
    'CatalogDocument', 'Context', 'DEFAULT_ANSWER_LIMIT_BYTES', 'DEFAULT_CATALOG_LIMIT_BYTES', 'FetchBindingResponse',
    'FetchInstanceResponse', 'Identity', 'InstanceMetadata', 'LastOperationAnswer', 'LastOperationResponse', 'MaintenanceInfo',
    'OSB_API_VERSION', 'OsbAgents', 'OsbClient', 'OsbClientError', 'OsbClientOptions', 'OsbMalformedResponseError', 'OsbPollingTimeoutError',
    'OsbRequestError', 'OsbResponseError', 'OsbTimeoutError', 'OsbTransportError', 'PlanRef', 'PreviousValues', 'ProvisionRequest',
    'ProvisionResponse', 'ServiceOffering', 'ServicePlan', 'UpdateRequest', 'UpdateResponse', 'VolumeMount', 'WaitOptions',
    'closeOsbAgents', 'createOsbAgents',
  ],
  './volume': [
    'AppVisibleVolumeMount', 'DriverAddressError', 'DriverCapabilities', 'DriverEndpoint', 'DriverSpec', 'DriverSpecError',
    'DriverSpecFormat', 'DriverTlsConfig', 'InvalidContainerDirError', 'ListeningVolumeDriver', 'MAX_CONTAINER_DIR_LENGTH',
    'SharedVolumeDevice', 'VolumeDriver', 'VolumeDriverClient', 'VolumeDriverClientOptions', 'VolumeDriverError',
    'VolumeDriverHandler', 'VolumeDriverHandlerOptions', 'VolumeInfo', 'VolumeLogger', 'VolumeMount', 'VolumeMountMode',
    'VolumeMountsValidation', 'VolumeMountsValidationOptions', 'containerDirProblem', 'createVolumeDriverHandler',
    'discoverDriverSpecs', 'listenVolumeDriver', 'normaliseContainerDir', 'normaliseDriverAddress', 'parseDriverAddress',
    'readDriverSpecFile', 'redactVolumeMountForApp', 'removeDriverSpec', 'safeVolumeError', 'validateVolumeMounts',
    'writeDriverSpec',
  ],
  './mysql-store': ['MYSQL_STORE_SCHEMA_VERSION', 'MysqlServerAddress', 'MysqlStore', 'MysqlStoreOptions'],
  './testkit': [
    'BrokerUnderTest', 'CheckResult', 'ConformanceConfigError', 'ConformanceOptions', 'ConformanceReport', 'DescribeConformanceOptions',
    'Outcome', 'PlanOptions', 'RunHooks', 'TestRunnerApi', 'describeConformance', 'formatReport', 'parseConformanceConfig', 'runConformance',
    'summaryLine',
  ],
};

/** The TypeScript source an exports entry is compiled from: dist/sdk/public/x.js comes from sdk/public/x.ts. */
function sourceOf(target: string): string {
  const match = /^\.\/dist\/(.+)\.js$/.exec(target);
  if (!match) throw new Error(`exports target ${target} is not a compiled .js under dist/`);
  return join(ROOT, `${match[1]}.ts`);
}

function exportedNames(sources: string[]): Map<string, string[]> {
  const program = ts.createProgram(sources, { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, strict: true, noEmit: true, types: ['node'] });
  const checker = program.getTypeChecker();
  return new Map(
    sources.map((source) => {
      const file = program.getSourceFile(source);
      if (!file) throw new Error(`${source} is not part of the program`);
      const symbol = checker.getSymbolAtLocation(file);
      if (!symbol) throw new Error(`${source} is not a module`);
      return [source, checker.getExportsOfModule(symbol).map((exported) => exported.getName()).sort()];
    }),
  );
}

const entries = Object.entries(manifest.exports).filter(([subpath]) => subpath !== './package.json');
const sources = entries.map(([, target]) => sourceOf(typeof target === 'string' ? target : target.default));
const names = exportedNames(sources);

it('exports exactly these subpaths, each with its compiled JavaScript and its declarations', () => {
  expect(entries.map(([subpath]) => subpath).sort()).toEqual(Object.keys(SURFACE).sort());
  for (const [subpath, target] of entries) {
    expect(typeof target).toBe('object');
    if (typeof target === 'string') continue;
    expect([subpath, target.types]).toEqual([subpath, target.default.replace(/\.js$/, '.d.ts')]);
  }
  expect(manifest.main).toBe((manifest.exports['.'] as { default: string }).default);
  expect(manifest.types).toBe((manifest.exports['.'] as { types: string }).types);
  expect(manifest.private).toBeUndefined();
});

it.each(Object.keys(SURFACE))('%s exports exactly its documented names', (subpath) => {
  const target = manifest.exports[subpath]!;
  const source = sourceOf(typeof target === 'string' ? target : target.default);
  expect(names.get(source)).toEqual([...SURFACE[subpath]!].sort());
});

it('the main entry leaves out the engine, logging internals, the client and the volume side', () => {
  const main = names.get(sourceOf((manifest.exports['.'] as { default: string }).default))!;
  for (const internal of ['Engine', 'LogDestination', 'createLogDestination', 'REDACTED_PATHS', 'OsbClient', 'OsbResponseError', 'VolumeDriverClient', 'MysqlStore', 'readCatalogFile']) {
    expect(main).not.toContain(internal);
  }
});

it('ships what the CLI needs at run time: the compiled code, the catalogs and the cell helper', () => {
  expect(manifest.bin).toEqual({ osbkit: 'bin/osbkit' });
  expect(manifest.files).toEqual(expect.arrayContaining(['bin/osbkit', 'catalog/*.yaml', 'dist/cli/**/*.js', 'dist/native/osbkit-contain', 'dist/sdk/**/*.d.ts']));
});
