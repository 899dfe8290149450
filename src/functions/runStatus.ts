import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { azureDeps } from './azureDeps';
import { runStatusHandler } from './handlers/runStatus';

app.http('runStatus', {
  route: 'runs/{instanceId}',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: runStatusHandler(azureDeps),
});
