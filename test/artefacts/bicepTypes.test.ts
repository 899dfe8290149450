/**
 * Every `resource` of infra/bicep type-checked against the type files Bicep's own compiler uses
 * (../shared/data/bicep_types, generated from Azure's REST specifications; see its README). No
 * Bicep compiler runs here: values that are expressions are not evaluated, literals are.
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { readBicep } from '../infra/bicepText';
import {
  loadTypeIndex,
  parameterValues,
  parseBicepValue,
  resourceProblems,
  type IdentifierValues,
  type ResourceDeclaration,
} from './bicepTypes';

const repoRoot = path.resolve(__dirname, '../..');
const typesDir = path.resolve(repoRoot, '../shared/data/bicep_types');
const bicepDir = path.join(repoRoot, 'infra/bicep');
const index = loadTypeIndex(typesDir);

const files = [
  'main.bicep',
  ...readdirSync(path.join(bicepDir, 'modules'))
    .filter((f) => f.endsWith('.bicep'))
    .map((f) => `modules/${f}`),
];
const parsed = new Map(files.map((file) => [file, readBicep(path.join(bicepDir, file))]));
const resources: ResourceDeclaration[] = files.flatMap((file) => parsed.get(file)!.resources.map((r) => ({ file, ...r })));
/** A bare parameter in a body stands for each of its @allowed values (or its literal default). */
const identifiers = (file: string): IdentifierValues => parameterValues(parsed.get(file)!.code);
const problemsOf = (r: ResourceDeclaration) => resourceProblems(index!, r, identifiers(r.file));
const find = (file: string, symbol: string) => {
  const found = resources.find((r) => r.file === file && r.symbol === symbol);
  if (!found) throw new Error(`${file} has no resource ${symbol}`);
  return found;
};
const withBody = (r: ResourceDeclaration, from: string, to: string): ResourceDeclaration => {
  if (!r.body.includes(from)) throw new Error(`${r.symbol} has no ${JSON.stringify(from)}`);
  return { ...r, body: r.body.replace(from, to) };
};

if (!index) {
  describe('infra/bicep against the Bicep type files', () => {
    it.skip(`skipped: ${typesDir} is absent (the shared Bicep type files; see GUIDE.md)`, () => undefined);
  });
} else {
  describe('infra/bicep against the Bicep type files', () => {
    it('every resource names a type and API version the files have, and its body type-checks', () => {
      expect(resources.length).toBeGreaterThan(40);
      expect(resources.flatMap(problemsOf)).toEqual([]);
    });

    it('checks literals deep in the bodies (the parser sees them, not only the top level)', () => {
      const app = parseBicepValue(find('modules/functionApp.bicep', 'functionApp').body);
      const at = (v: typeof app, ...keys: string[]) =>
        keys.reduce((node, k) => (node.kind === 'object' ? (node.entries.find(([key]) => key === k)?.[1] ?? node) : node), v);
      expect(at(app, 'properties', 'functionAppConfig', 'runtime', 'name')).toEqual({ kind: 'string', value: 'node', interpolated: false });
      expect(at(app, 'properties', 'siteConfig', 'appSettings')).toMatchObject({ kind: 'array', items: [{ kind: 'object' }] });
    });

    describe('deliberately wrong bodies fail', () => {
      const app = find('modules/functionApp.bicep', 'functionApp');

      it('a property the type does not have, at the top and nested', () => {
        expect(problemsOf(withBody(app, 'httpsOnly: true', 'httpsOnly: true\n    httpOnly: true')).map((p) => p.problem)).toEqual([
          'not a property of SiteProperties',
        ]);
        expect(
          problemsOf(withBody(app, "type: 'SystemAssignedIdentity'", "type: 'SystemAssignedIdentity'\n            clientId: 'x'")).map(
            (p) => p.path,
          ),
        ).toEqual(['modules/functionApp.bicep:functionApp.properties.functionAppConfig.deployment.storage.authentication.clientId']);
      });

      it('a read-only property', () => {
        expect(
          problemsOf(withBody(app, 'httpsOnly: true', "httpsOnly: true\n    defaultHostName: 'x.azurewebsites.net'")).map((p) => p.problem),
        ).toEqual(['read-only in SiteProperties']);
      });

      it('a required property not set, a wrong literal type and a value outside a closed union', () => {
        expect(problemsOf(withBody(app, 'location: location\n', '')).map((p) => p.problem)).toEqual([
          'required by Microsoft.Web/sites but not set',
        ]);
        expect(problemsOf(withBody(app, 'httpsOnly: true', "httpsOnly: 'true'")).map((p) => p.problem)).toEqual([
          'expected a boolean, got a string literal',
        ]);
        const identity = withBody(app, "type: 'SystemAssigned'", "type: 'SystemAsigned'");
        expect(problemsOf(identity).map((p) => p.problem)).toEqual([expect.stringMatching(/^"SystemAsigned" is not one of /)]);
      });

      it('an API version or a resource type the files do not have', () => {
        expect(problemsOf({ ...app, apiVersion: '2099-01-01' }).map((p) => p.problem)).toEqual([
          expect.stringMatching(/^API version 2099-01-01 of Microsoft.Web\/sites not in the type files \(have /),
        ]);
        expect(problemsOf({ ...app, type: 'Microsoft.Web/site' }).map((p) => p.problem)).toEqual([
          'resource type Microsoft.Web/site not in the type files',
        ]);
      });

      it('a parameter value the type does not take (a bare parameter stands for each @allowed value or its literal default)', () => {
        const secret = find('modules/keyVault.bicep', 'ordersAuthHeaderSecret');
        const own = identifiers(secret.file);
        expect(secret.body).toMatch(/name: ordersAuthHeaderSecretName/);
        expect(own('ordersAuthHeaderSecretName')).toEqual([{ kind: 'string', value: 'orders-auth-header', interpolated: false }]);
        expect(own('vaultName')).toBeUndefined();
        const wrong: IdentifierValues = (name) =>
          name === 'ordersAuthHeaderSecretName' ? [{ kind: 'string', value: 'orders_auth_header', interpolated: false }] : own(name);
        expect(resourceProblems(index, secret, wrong).map((p) => p.problem)).toEqual([
          expect.stringMatching(/^"orders_auth_header" does not match .* \(ordersAuthHeaderSecretName = 'orders_auth_header'\)$/),
        ]);
      });

      it("a string literal breaking the type's pattern (storage account names are lowercase)", () => {
        const account = find('modules/lakeStorage.bicep', 'account');
        expect(problemsOf(withBody(account, 'name: accountName', "name: 'stDemandLake'")).map((p) => p.problem)).toEqual([
          '"stDemandLake" does not match ^[a-z0-9]+$',
        ]);
      });
    });
  });
}
