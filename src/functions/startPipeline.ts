import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { azureDeps } from './azureDeps';
import { startPipelineHandler } from './handlers/startPipeline';

app.http('startPipeline', {
  route: 'pipeline/start',
  methods: ['POST'],
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: startPipelineHandler(azureDeps),
});
