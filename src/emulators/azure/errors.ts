// Azure's own error bodies: {"error":{"code","message"}}, where code is often the status.

export const azureError = (code: string, message: string): unknown => ({ error: { code, message } });

export const ACCESS_DENIED = azureError(
  '401',
  'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
);

export const RESOURCE_NOT_FOUND = azureError('404', 'Resource not found');

export const deploymentNotFound = (): unknown =>
  azureError('DeploymentNotFound', 'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.');

export function rateLimitMessage(operation: string, apiVersion: string, provisioned: boolean, retryAfterMs: number | undefined): string {
  const what = provisioned ? 'the provisioned throughput utilization of this deployment' : 'token rate limit of your current OpenAI S0 pricing tier';
  const wait = retryAfterMs === undefined ? '' : ` Please retry after ${Math.ceil(retryAfterMs / 1000)} seconds.`;
  return `Requests to the ${operation} Operation under Azure OpenAI API version ${apiVersion} have exceeded ${what}.${wait} Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.`;
}
