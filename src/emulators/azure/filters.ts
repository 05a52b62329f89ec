// Azure's content-filter annotations: every prompt and choice is rated per category. The
// emulator rates everything "safe" except a completion it was told to filter.

const safe = (): Record<string, unknown> => ({ filtered: false, severity: 'safe' });

export function promptFilterResults(): unknown[] {
  return [
    {
      prompt_index: 0,
      content_filter_results: { hate: safe(), jailbreak: { filtered: false, detected: false }, self_harm: safe(), sexual: safe(), violence: safe() },
    },
  ];
}

/** Role and plain finish frames carry an empty object, content frames the ratings, a filtered finish the hit. */
export function choiceFilterResults(frame: 'role' | 'content' | 'finish', finishReason?: string): Record<string, unknown> {
  const ratings = { hate: safe(), self_harm: safe(), sexual: safe(), violence: safe() };
  if (frame === 'finish' && finishReason === 'content_filter') return { ...ratings, violence: { filtered: true, severity: 'medium' } };
  return frame === 'content' ? ratings : {};
}

/** The 400 Azure sends when the prompt itself is filtered (wire doc §b). */
export function promptFilteredBody(): unknown {
  return {
    error: {
      message:
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
      type: null,
      param: 'prompt',
      code: 'content_filter',
      status: 400,
      innererror: {
        code: 'ResponsibleAIPolicyViolation',
        content_filter_result: { hate: safe(), jailbreak: { filtered: true, detected: true }, self_harm: safe(), sexual: safe(), violence: safe() },
      },
    },
  };
}
