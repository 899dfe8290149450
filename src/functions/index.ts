/**
 * The Function App's entry point (package.json "main"): importing each file registers its
 * functions with the v4 programming model. Outside the Functions host (tests, the CLI) the
 * registrations are skipped and the handlers are called directly.
 */
import './orchestrators';
import './activities';
import './startPipeline';
import './scheduledPipeline';
import './scheduledDriftCheck';
import './reforecastSku';
import './runStatus';
import './listRuns';
